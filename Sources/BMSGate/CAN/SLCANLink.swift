import Foundation

/// A serial SLCAN adapter (or a pseudo-terminal with an SLCAN peer): opened with `C`, `S6`
/// (the bit rate) and `O`; frames sent as `t` lines. The adapter's answers are read and
/// sorted: CR and `z` are OK, BEL is an error (logged by the caller through `errors`),
/// received `t`/`T` lines are frames, version and status answers are ignored, anything
/// else is counted as garbage and skipped.
public final class SLCANLink: CANLink {
    let transport: SerialPort
    let bitrate: Int
    private var splitter = SLCAN.LineSplitter()
    private var received: [CANFrame] = []
    /// BEL answers so far (the adapter refused a command or a frame).
    public private(set) var errors = 0
    /// Lines that were not SLCAN.
    public private(set) var garbage = 0

    /// An adapter on `transport` at `bitrate` bit/s.
    public init(transport: SerialPort, bitrate: Int) {
        self.transport = transport
        self.bitrate = bitrate
        transport.writeTimeoutMs = 1000
    }

    public var endpoint: String { "\(transport.endpoint) (slcan \(bitrate / 1000) kbit/s)" }
    public var isOpen: Bool { transport.isOpen }
    /// The serial port's write bound: past it the port flushes its output and the send throws.
    public var sendTimeoutMs: Int {
        get { transport.writeTimeoutMs ?? 0 }
        set { transport.writeTimeoutMs = newValue }
    }
    public var pendingOutput: Int { transport.pendingOutput }
    public func dropQueued() {
        transport.flushOutput()
        resync = true
    }
    /// A flush may have cut a line the adapter had begun to read: the next write starts
    /// with a CR, so the adapter rejects the cut line (BEL) instead of joining it to a new one.
    private var resync = false

    public func open() throws(TransportError) {
        try transport.open()
        resync = false
        transport.discardInput()
        splitter = SLCAN.LineSplitter()
        for command in SLCAN.openCommands(bitrate: bitrate) {
            try write(command)
            // An adapter answers within a few ms; a peer that is not an adapter (python-can
            // on the other end of a pty) never answers, which is fine. A BEL to S or O is not.
            let refused = awaitAnswer(ms: 50)
            if refused && command != "C" {
                transport.close()
                throw TransportError("\(transport.endpoint): the SLCAN adapter refused '\(command)' (is it a CAN adapter at \(bitrate / 1000) kbit/s?)")
            }
        }
    }

    public func send(_ frame: CANFrame) throws(TransportError) {
        try write(SLCAN.encode(frame))
    }

    public func receive(timeoutMs: Int) throws(TransportError) -> [CANFrame] {
        if received.isEmpty { try pump(timeoutMs: timeoutMs) }
        defer { received.removeAll() }
        return received
    }

    public func close() {
        if transport.isOpen { try? write("C") }
        transport.close()
    }

    private func write(_ line: String) throws(TransportError) {
        let bytes = Array(((resync ? "\r" : "") + line + "\r").utf8)
        var failure: TransportError?
        bytes.withUnsafeBytes { raw in
            do throws(TransportError) { try transport.write(raw) } catch { failure = error }
        }
        // A write that timed out was flushed by the port, perhaps in the middle of the line.
        if let failure {
            if failure.stalled { resync = true }
            throw failure
        }
        resync = false
    }

    /// Reads what arrives within `ms`; true when a BEL came.
    private func awaitAnswer(ms: Int) -> Bool {
        let before = errors
        let deadline = MonotonicClock.nowMs() + UInt64(ms)
        while MonotonicClock.nowMs() < deadline {
            let left = Int(deadline - MonotonicClock.nowMs())
            guard (try? pump(timeoutMs: max(1, left))) != nil else { break }
            if errors > before { return true }
        }
        return errors > before
    }

    private func pump(timeoutMs: Int) throws(TransportError) {
        var buffer = [UInt8](repeating: 0, count: 512)
        var failure: TransportError?
        let n = buffer.withUnsafeMutableBytes { raw -> Int in
            do throws(TransportError) { return try transport.read(into: raw, timeoutMs: timeoutMs) } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        guard n > 0 else { return }
        for event in splitter.feed(buffer[0..<n]) {
            switch event {
            case .error: errors += 1
            case .line(.frame(let f)): received.append(f)
            case .line(.garbage): garbage += 1
            case .line(.ok), .line(.info): break
            }
        }
    }
}
