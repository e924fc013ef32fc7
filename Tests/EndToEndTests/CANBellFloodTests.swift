import Foundation
import Testing

/// An SLCAN adapter that answers nothing but errors (BEL), as a broken or misconfigured one
/// does. The decision (docs/inverters.md): a refusal cannot be told from the flood, so the
/// link stays down (never reported up while it might carry nothing), every BEL is counted,
/// the log says it once, and the link opens as soon as the flood stops.
@Suite(.serialized) struct CANBellFloodTests {
    @Test func aBellFloodKeepsTheLinkDownCountedAndItOpensWhenTheFloodStops() throws {
        let dir = try TestTools.tempDir("can-bel")
        let can = CANSinkTests()
        let socat = try can.linkedTerminals(dir)
        defer { socat.terminate() }
        let sim1 = try ModbusSunSpecTests.simulator(dir + "/tty1", addresses: [1])
        defer { _ = sim1.stop() }
        let sim2 = try ModbusSunSpecTests.simulator(dir + "/tty2", addresses: [2])
        defer { _ = sim2.stop() }
        try can.site(dir)
        // The far end writes BEL every 2 ms.
        let flood = Process()
        flood.executableURL = URL(fileURLWithPath: TestTools.python)
        flood.arguments = ["-c", "import os,sys,time\nfd=os.open(sys.argv[1], os.O_WRONLY)\nwhile True:\n    os.write(fd, b'\\x07')\n    time.sleep(0.002)\n", dir + "/inverter"]
        try TestTools.spawn(flood)
        var flooding = true
        defer { if flooding { flood.terminate() } }
        let gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        var stopped = false
        defer { if !stopped { _ = gw.stop() } }
        let http = try gw.port("http")
        func canSink() -> [String: Any]? {
            let sinks = (try? HTTPAPITests.curl(http, "GET", "/healthz"))?.json?["sinks"] as? [[String: Any]]
            return sinks?.first { ($0["name"] as? String)?.hasPrefix("can ") == true }
        }
        #expect(TestTools.waitUntil(15) { (canSink()?["can_adapter_errors_total"] as? Double ?? 0) > 10 })
        let during = try #require(canSink())
        #expect(during["can_link_up"] as? Double == 0, "a flooded link is never reported up: \(during)")
        #expect(during["can_frame_sets_total"] as? Double == 0)

        // The flood stops; a real peer (python-can) takes its place: the link opens at the
        // next retry and the inverter gets the bank's frames.
        flood.terminate()
        flood.waitUntilExit()
        flooding = false
        let inverter = try can.peer(dir, seconds: 30)
        defer { inverter.process.terminate() }
        #expect(TestTools.waitUntil(15) { (inverter.latest(0x351)?["charge_current"] as? Double ?? 0) > 0 })
        #expect(canSink()?["can_link_up"] as? Double == 1)
        let out = gw.stop()
        stopped = true
        let refusals = out.stderr.split(separator: "\n").filter { $0.contains("refused") }
        #expect(refusals.count == 1, "the refusal is logged once, not per retry: \(refusals)")
        #expect(out.stderr.contains("link open again"))
    }
}
