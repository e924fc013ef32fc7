import Foundation
import Testing

/// A pack that stops answering for a long time, on a line paced at 9600 baud, with the
/// default poll settings: while silent it takes at most 10 % of the line's time, and once
/// it answers again it is back online within 5 s (the bank's 0 A failsafe lifts as soon).
@Suite(.serialized) struct RecoveryTimeTests {
    func stats(_ port: Int, _ pack: String) -> (polls: Double, online: Bool)? {
        guard let json = (try? HTTPAPITests.curl(port, "GET", "/api/packs/\(pack)"))?.json,
              let polls = (json["stats"] as? [String: Any])?["polls"] as? Double else { return nil }
        return (polls, json["online"] as? Bool == true)
    }

    func pollSeconds(_ port: Int, _ pack: String) -> Double? {
        guard let text = (try? HTTPAPITests.curl(port, "GET", "/metrics"))?.body else { return nil }
        let line = text.split(separator: "\n").first { $0.hasPrefix("bmsgate_poll_duration_seconds") && $0.contains("pack=\"\(pack)\"") }
        return line.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }
    }

    @Test func aDeadPackCostsLittleAndIsSeenSoonAfterItAnswers() throws {
        let dir = try TestTools.tempDir("recovery")
        let tty = dir + "/ttyBASEN"
        let sim = try Child(TestTools.bmsgate, ["simulate", "--driver", "basen", "--address", "1", "--address", "2",
                                                "--link", tty, "--line-rate", "9600"])
        defer { _ = sim.stop() }
        #expect(TestTools.waitUntil(10) { FileManager.default.fileExists(atPath: tty) })
        try """
            site: recovery
            buses: [{id: rack, type: serial, device: \(tty), baud: 9600}]
            packs:
              - {id: p1, driver: basen, bus: rack, address: 1}
              - {id: p2, driver: basen, bus: rack, address: 2}
            banks: [{id: main, packs: [p1, p2]}]
            sinks: [{type: http, listen: "127.0.0.1:0"}]
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        defer { _ = gw.stop() }
        let port = try gw.port("http")
        #expect(TestTools.waitUntil(20) { stats(port, "p2")?.online == true && stats(port, "p1")?.online == true })

        sim.send("silence 2")
        #expect(TestTools.waitUntil(20) { stats(port, "p2")?.online == false })
        // A long outage: the probes of the dead pack, measured over 15 s.
        let start = try #require(stats(port, "p2")).polls
        Thread.sleep(forTimeInterval: 15)
        let probes = try #require(stats(port, "p2")).polls - start
        let probeSeconds = try #require(pollSeconds(port, "p2"))
        let share = probes * probeSeconds / 15
        print("dead pack: \(Int(probes)) probes of \(probeSeconds) s in 15 s = \(Int(share * 1000) / 10) % of the line")
        #expect(share <= 0.10, "a dead pack took \(share * 100) % of the line")
        #expect(probes >= 3, "the dead pack is still probed")

        sim.send("answer 2")
        let t0 = Date()
        #expect(TestTools.waitUntil(10) { stats(port, "p2")?.online == true })
        let back = Date().timeIntervalSince(t0)
        print("seen again \(back) s after it answered")
        #expect(back <= 5, "back online after \(back) s")
    }
}
