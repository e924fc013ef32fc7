import BMSGateTestSupport
import Foundation
import Logging
import Synchronization
import Testing

@testable import BMSGate

/// A sink that cannot finish closing until the test lets it (a hung network file system,
/// a peer that stopped reading).
final class StuckSink: Sink, @unchecked Sendable {
    let name = "stuck"
    let release = DispatchSemaphore(value: 0)
    private let finished = Mutex(false)
    func write(_ snapshot: Snapshot) {}
    func close() {
        release.wait()
        finished.withLock { $0 = true }
    }
    var hasFinished: Bool { finished.withLock { $0 } }
}

/// Shutdown is bounded whatever the sinks do: every sink is stopped at once and waited for
/// together (`Gateway.sinkStopBound`); a stuck one is left behind, and the others still
/// write their last word.
@Suite struct ShutdownTests {
    @Test func aStuckSinkNeitherHoldsShutdownNorTheOtherSinksLastWord() throws {
        let catalog = DriverLoader.load(directories: [TestTools.binDir])
        let config = try ConfigLoader.parse(yaml: """
            site: shutdown
            buses: [{id: lab, type: sim}]
            packs: [{id: p1, driver: basen, bus: lab, address: 1, poll_interval: 200ms}]
            """, file: "shutdown.yaml")
        let stuck = StuckSink(), memory = InMemorySink()
        let gateway = try Gateway(config: config, catalog: catalog, logger: Logger(label: "test"), sinkOverride: [stuck, memory])
        gateway.start()
        #expect(TestTools.waitUntil(10) { memory.snapshots.contains { $0.packs.first?.online == true } })
        gateway.stop()  // returns although the stuck sink is still closing
        #expect(memory.closed, "the other sink was closed")
        #expect(memory.snapshots.last?.packs.first?.sequence ?? 0 > 0, "and got the final snapshot")
        #expect(!stuck.hasFinished, "the stuck sink was left behind, not waited for")
        stuck.release.signal()
        #expect(TestTools.waitUntil(5) { stuck.hasFinished })
    }
}
