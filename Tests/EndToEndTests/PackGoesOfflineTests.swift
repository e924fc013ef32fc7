import Foundation
import Testing

/// The built host loads the Basen .so and polls two packs emulated behind a real pty
/// (`bmsgate simulate`, so the termios path runs); one pack stops answering: it goes
/// offline with its timeouts counted, the other keeps its rate; SIGTERM flushes the file.
@Suite(.serialized) struct PackGoesOfflineTests {
    func times(_ lines: [[String: Any]], pack: String, online: Bool? = nil) -> [Date] {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return lines.filter { $0["pack"] as? String == pack && $0["error"] == nil && (online == nil || $0["online"] as? Bool == online) }
            .compactMap { ($0["time"] as? String).flatMap(f.date(from:)) }
    }

    func meanInterval(_ t: [Date]) -> Double {
        guard t.count > 1 else { return .infinity }
        return t.last!.timeIntervalSince(t.first!) / Double(t.count - 1)
    }

    @Test func oneSilentPackGoesOfflineWhileTheOtherKeepsItsRate() throws {
        let dir = try TestTools.tempDir("offline")
        let tty = dir + "/ttyBASEN"
        let sim = try Child(TestTools.bmsgate, ["simulate", "--driver", "basen", "--address", "1", "--address", "2", "--link", tty])
        defer { _ = sim.stop() }
        #expect(TestTools.waitUntil(10) { FileManager.default.fileExists(atPath: tty) })

        // Scan finds both addresses on the line.
        let scan = try TestTools.run(TestTools.bmsgate, ["scan", "--driver", "basen", "--device", tty, "--to", "4", "--timeout", "200"])
        #expect(scan.status == 0, "\(scan.stderr)")
        #expect(scan.stdout.split(separator: "\n").map { $0.split(separator: "\t").first.map(String.init) } == ["1", "2"])

        let readings = dir + "/readings.jsonl"
        try """
            site: offline-test
            buses:
              - {id: rack, type: serial, device: \(tty), baud: 9600}
            packs:
              - {id: p1, driver: basen, bus: rack, address: 1, poll_interval: 500ms, timeout: 200ms, retries: 0, max_backoff: 2s}
              - {id: p2, driver: basen, bus: rack, address: 2, poll_interval: 500ms, timeout: 200ms, retries: 0, max_backoff: 2s}
            banks:
              - {id: main, packs: [p1, p2], stale_after: 1500ms}
            sinks:
              - {type: file, path: \(readings)}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let gateway = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        #expect(TestTools.waitUntil(10) {
            let lines = TestTools.jsonLines(readings)
            return Set(lines.compactMap { $0["pack"] as? String }) == ["p1", "p2"] && lines.count >= 6
        })
        Thread.sleep(forTimeInterval: 2)
        let before = TestTools.jsonLines(readings)
        #expect(before.allSatisfy { $0["online"] as? Bool == true })
        #expect(before.first { $0["pack"] as? String == "p1" }?["voltage"] != nil)
        #expect(before.first { $0["pack"] as? String == "p2" }?["voltage"] != nil)

        sim.send("silence 2")
        #expect(TestTools.waitUntil(10) {
            TestTools.jsonLines(readings).last { $0["pack"] as? String == "p2" }?["online"] as? Bool == false
        })
        Thread.sleep(forTimeInterval: 3)
        let stopped = gateway.stop(SIGTERM)
        #expect(stopped.status == 0, "\(stopped.stderr)")

        let lines = TestTools.jsonLines(readings)
        let p2Last = try #require(lines.last { $0["pack"] as? String == "p2" })
        #expect(p2Last["online"] as? Bool == false)
        #expect((p2Last["error"] as? String)?.contains("no answer") == true)
        let stats = try #require(p2Last["stats"] as? [String: Any])
        #expect((stats["timeouts"] as? Int ?? 0) >= 2)
        #expect((stats["ok"] as? Int ?? 0) >= 2)

        // p1 kept answering at (about) its configured rate while p2 timed out.
        let p1Before = times(before, pack: "p1")
        let silencedAt = lines.first { $0["pack"] as? String == "p2" && $0["error"] != nil }
        let p1All = times(lines, pack: "p1")
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let silencedText = try #require(silencedAt?["time"] as? String)
        let cut = try #require(f.date(from: silencedText))
        let p1After = p1All.filter { $0 > cut }
        #expect(p1After.count >= 6)
        let ratio = meanInterval(p1After) / meanInterval(p1Before)
        print("p1 mean poll interval before \(meanInterval(p1Before)) s, after \(meanInterval(p1After)) s, ratio \(ratio)")
        #expect(ratio < 1.5)
        #expect(lines.filter { $0["pack"] as? String == "p1" }.allSatisfy { $0["online"] as? Bool == true })

        // The pack comes back when the emulator answers again (checked through `read`).
        sim.send("answer 2")
        let read = try TestTools.run(TestTools.bmsgate, ["read", "--config", dir + "/site.yaml", "--pack", "p2", "--format", "json"])
        #expect(read.status == 0, "\(read.stderr)")
        #expect(read.stdout.contains("\"online\":true"))
    }
}
