import Foundation

/// An inverter on the other end of an SLCAN pseudo-terminal: sends what the profile's
/// inverters send once a second (Pylon 0x305 keepalive; SMA 0x305/0x306/0x307 with its
/// measurements; Victron 0x305/0x306 zeros and 0x307 "VIC") and reads the battery's frames,
/// handing each to `onFrame`. `bmsgate simulate --inverter` prints them; `device: sim` on a
/// can sink runs one in the gateway for the demo site.
public final class InverterSimulator: @unchecked Sendable {
    public let profile: CANProfile
    /// The pty; its slave path is what the can sink opens.
    public let terminal: PseudoTerminal
    private let lock = NSLock()
    private var running = false
    private var thread: WorkerThread?
    private let onFrame: @Sendable (CANFrame) -> Void

    /// A simulator on a new pseudo-terminal; `onFrame` sees every battery frame.
    public init(profile: CANProfile, onFrame: @escaping @Sendable (CANFrame) -> Void = { _ in }) throws(TransportError) {
        self.profile = profile
        self.onFrame = onFrame
        terminal = try PseudoTerminal()
    }

    /// The path the battery side opens.
    public var path: String { terminal.slavePath }

    /// The frames this inverter sends each second.
    public static func keepalive(_ profile: CANProfile) -> [CANFrame] {
        switch profile {
        case .pylon:
            return [CANFrame(id: 0x305, data: Array(repeating: 0, count: 8))]
        case .sma:
            // 52.0 V, -5.0 A, 25.0 °C, SoC 80 %; SoH 100 %, charge procedure 1, state 2,
            // no error, setpoint 55.2 V; relays closed.
            return [CANFrame(id: 0x305, data: [0x08, 0x02, 0xCE, 0xFF, 0xFA, 0x00, 0x50, 0x00]),
                    CANFrame(id: 0x306, data: [0x64, 0x00, 0x01, 0x02, 0x00, 0x00, 0x28, 0x02]),
                    CANFrame(id: 0x307, data: [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])]
        case .victron:
            return [CANFrame(id: 0x305, data: Array(repeating: 0, count: 8)),
                    CANFrame(id: 0x306, data: Array(repeating: 0, count: 8)),
                    CANFrame(id: 0x307, data: [0x12, 0x34, 0x56, 0x78, 0x56, 0x49, 0x43, 0x00])]
        }
    }

    public func start() {
        lock.withLock { running = true }
        let t = WorkerThread(name: "inverter-sim") { [self] in loop() }
        thread = t
        t.start()
    }

    public func stop() {
        lock.withLock { running = false }
        _ = thread?.join(timeout: .seconds(3))
        thread = nil
    }

    private func loop() {
        var splitter = SLCAN.LineSplitter()
        var next = MonotonicClock.nowMs()
        var buffer = [UInt8](repeating: 0, count: 1024)
        let stream = FileDescriptorStream(fd: terminal.master)
        while lock.withLock({ running }) {
            if MonotonicClock.nowMs() >= next {
                for frame in Self.keepalive(profile) {
                    let line = Array((SLCAN.encode(frame) + "\r").utf8)
                    line.withUnsafeBytes { raw in _ = try? stream.writeAll(raw, what: "inverter simulator") }
                }
                next += 1000
            }
            let wait = Int(max(1, min(200, Int64(next) - Int64(MonotonicClock.nowMs()))))
            let n = buffer.withUnsafeMutableBytes { raw in (try? stream.read(into: raw, timeoutMs: wait, what: "inverter simulator")) ?? 0 }
            guard n > 0 else { continue }
            for case .line(.frame(let frame)) in splitter.feed(buffer[0..<n]) { onFrame(frame) }
        }
    }
}
