import Foundation
import PylonCodec

/// An RS485 inverter that polls a Pylontech battery the way Voltronic/Axpert-style inverters
/// do (0x4F once, then 0x42 for every module and 0x92 for the master every 2 s), on the
/// master side of a pseudo-terminal: `device: sim` on a pylon-rs485 sink, for the demo site.
final class PylonInverterSimulator: @unchecked Sendable {
    let terminal: PseudoTerminal
    private let lock = NSLock()
    private var running = false
    private var thread: WorkerThread?

    init() throws(TransportError) { terminal = try PseudoTerminal() }

    var path: String { terminal.slavePath }

    func start() {
        lock.withLock { running = true }
        let t = WorkerThread(name: "pylon-inverter-sim") { [self] in loop() }
        thread = t
        t.start()
    }

    func stop() {
        lock.withLock { running = false }
        _ = thread?.join(timeout: .seconds(3))
        thread = nil
    }

    private func loop() {
        let stream = FileDescriptorStream(fd: terminal.master)
        var splitter = PylonFrameSplitter()
        var buffer = [UInt8](repeating: 0, count: 1024)
        var first = true
        while lock.withLock({ running }) {
            var requests: [(UInt8, [UInt8])] = [(0x42, [0xFF]), (0x92, [0x02])]
            if first { requests.insert((0x4F, []), at: 0) }
            first = false
            for (command, info) in requests {  // the answers are read and dropped: the sink's status shows the exchange
                let request = PylonFrame(address: 2, cid2: command, info: info).encoded
                request.withUnsafeBytes { raw in _ = try? stream.writeAll(raw, what: "pylon inverter simulator") }
                let deadline = MonotonicClock.nowMs() + 500
                var done = false
                while !done, MonotonicClock.nowMs() < deadline {
                    let n = buffer.withUnsafeMutableBytes { raw in (try? stream.read(into: raw, timeoutMs: 100, what: "pylon inverter simulator")) ?? 0 }
                    if !splitter.feed(buffer[0..<max(0, n)]).isEmpty { done = true }
                }
            }
            let until = MonotonicClock.nowMs() + 2000
            while lock.withLock({ running }), MonotonicClock.nowMs() < until { MonotonicClock.sleep(ms: 100) }
        }
    }
}
