import Foundation
import Logging

/// Serves driver emulators behind a pseudo-terminal on a thread of its own: bytes written
/// to the slave side reach the emulators, their answers come back, optionally paced at
/// `lineRate` baud (10 bit times per byte) so timing is like a real RS485 line.
public final class EmulatorServer: @unchecked Sendable {
    /// The pty the emulators sit behind.
    public let terminal: PseudoTerminal
    /// Baud rate to pace at, or nil for no pacing.
    public let lineRate: Int?
    private let emulators: [EmulatorHandle]
    private let lock = NSLock()
    private let logger: Logger
    private var stopped = false
    private var bytesIn = 0, bytesOut = 0
    private var thread: WorkerThread?

    /// A server for `emulators` (one per driver on the line).
    public init(emulators: [EmulatorHandle], lineRate: Int?, logger: Logger) throws(TransportError) {
        self.terminal = try PseudoTerminal()
        self.emulators = emulators
        self.lineRate = lineRate
        self.logger = logger
    }

    /// The path a serial client opens.
    public var path: String { terminal.slavePath }

    /// Starts serving.
    public func start() {
        let t = WorkerThread(name: "emulator \(path)") { [self] in run() }
        thread = t
        t.start()
    }

    /// Stops serving and waits for the thread.
    public func stop() {
        lock.withLock { stopped = true }
        thread?.join()
        thread = nil
    }

    /// Sends a control command to every emulator; returns their answers.
    public func control(_ command: String) -> String {
        lock.withLock { emulators.map { $0.control(command) }.joined(separator: "\n") }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    /// Bytes the emulators received and sent so far (what crossed the simulated wire).
    public var traffic: (received: Int, sent: Int) { lock.withLock { (bytesIn, bytesOut) } }

    private func run() {
        var buffer = [UInt8](repeating: 0, count: 1024)
        let stream = FileDescriptorStream(fd: terminal.master)
        while !isStopped {
            let n: Int
            do {
                n = try buffer.withUnsafeMutableBytes { try stream.read(into: $0, timeoutMs: 100, what: path) }
            } catch {
                MonotonicClock.sleep(ms: 50)  // no client yet (EIO on a pty master): wait for one
                continue
            }
            guard n > 0 else { continue }
            let input = Array(buffer.prefix(n))
            let answer = lock.withLock { () -> [UInt8] in
                let a = emulators.flatMap { $0.exchange(input) }
                bytesIn += input.count
                bytesOut += a.count
                return a
            }
            guard !answer.isEmpty else { continue }
            send(answer, after: input.count)
        }
    }

    /// Writes an answer, paced like the wire when `lineRate` is set.
    private func send(_ answer: [UInt8], after requestBytes: Int) {
        let stream = FileDescriptorStream(fd: terminal.master)
        guard let rate = lineRate else {
            try? answer.withUnsafeBytes { try stream.writeAll($0, what: path) }
            return
        }
        MonotonicClock.sleep(ms: requestBytes * 10_000 / rate)
        let chunk = 16
        var offset = 0
        let start = MonotonicClock.nowMs()
        while offset < answer.count {
            let end = min(offset + chunk, answer.count)
            try? answer[offset..<end].withUnsafeBytes { try stream.writeAll($0, what: path) }
            offset = end
            let due = start + UInt64(offset * 10_000 / rate)
            let now = MonotonicClock.nowMs()
            if due > now { MonotonicClock.sleep(ms: Int(due - now)) }
        }
    }
}
