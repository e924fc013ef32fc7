import Foundation
import Testing

/// The command path under load and when callers give up: polls keep their rate under a
/// flood of API requests, a command whose caller timed out never runs later, and no
/// request body (keys included) reaches the log.
@Suite(.serialized) struct CommandPathTests {
    /// Polls of `pack` so far (the `stats.polls` counter of its reading).
    func polls(_ port: Int, _ pack: String) -> Double? {
        ((try? HTTPAPITests.curl(port, "GET", "/api/packs/\(pack)"))?.json?["stats"] as? [String: Any])?["polls"] as? Double
    }

    /// Poll rate of `pack` over `seconds` (while `during` runs, if given).
    func pollRate(_ port: Int, _ pack: String, seconds: Double, during: (() throws -> Void)? = nil) throws -> Double {
        let start = try #require(polls(port, pack))
        let t0 = Date()
        if let during { try during() } else { Thread.sleep(forTimeInterval: seconds) }
        let end = try #require(polls(port, pack))
        return (end - start) / Date().timeIntervalSince(t0)
    }

    @Test func pollsKeepTheirRateUnderAFloodOfCommands() throws {
        let dir = try TestTools.tempDir("cmd-flood")
        try """
            site: flood
            buses: [{id: gauge, type: sim, transport: i2c}]
            packs: [{id: g1, driver: lc30, bus: gauge, address: "0x0B", poll_interval: 200ms, options: {state_file: \(dir)/g1.json}}]
            banks: [{id: b1, packs: [g1], stale_after: 2s}]
            sinks: [{type: http, listen: "127.0.0.1:0"}]
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        defer { _ = gw.stop() }
        let port = try gw.port("http")
        #expect(TestTools.waitUntil(20) { (try? HTTPAPITests.curl(port, "GET", "/healthz"))?.json?["packs_online"] as? Double == 1 })
        let idle = try pollRate(port, "g1", seconds: 4)
        var offline = 0
        var flood: [String: Any] = [:]
        let busy = try pollRate(port, "g1", seconds: 20) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: TestTools.python)
            process.arguments = [TestTools.pythonTools + "/http_flood.py", "\(port)", "/api/bms/studio/sbs", "50", "20"]
            let out = Pipe()
            process.standardOutput = out
            try TestTools.spawn(process)
            // Meanwhile the pack must stay online all the time.
            while process.isRunning {
                if (try? HTTPAPITests.curl(port, "GET", "/healthz"))?.json?["packs_online"] as? Double != 1 { offline += 1 }
                Thread.sleep(forTimeInterval: 0.5)
            }
            flood = (try? JSONSerialization.jsonObject(with: out.fileHandleForReading.readDataToEndOfFile()) as? [String: Any]) ?? [:]
        }
        print("poll rate idle \(idle)/s, under 50 clients \(busy)/s (ratio \(busy / idle)); flood: \(flood)")
        #expect(offline == 0)
        #expect(busy >= idle * 0.8, "idle \(idle)/s, flooded \(busy)/s")
        let statuses = flood["statuses"] as? [String: Int] ?? [:]
        #expect((statuses["200"] ?? 0) > 20, "\(flood)")
        #expect(Set(statuses.keys).isSubset(of: ["200", "503"]), "\(flood)")
    }

    @Test func aCommandWhoseCallerTimedOutNeverRuns() throws {
        let dir = try TestTools.tempDir("cmd-timeout")
        // A REC poll takes ~6 requests x 500 ms throttle: commands wait behind it longer
        // than their 200 ms command_timeout, so most are dropped before they start.
        try """
            site: timeouts
            buses: [{id: rs, type: sim, emulator: {units: 1}}]
            packs: [{id: r1, driver: rec-bms, bus: rs, address: 1, allow_writes: true, timeout: 3s, options: {throttle: 500}}]
            sinks: [{type: http, listen: "127.0.0.1:0", token_env: T, command_timeout: 200ms}]
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"], environment: ["T": "tk"])
        let port = try gw.port("http")
        #expect(TestTools.waitUntil(30) { (try? HTTPAPITests.curl(port, "GET", "/healthz"))?.json?["packs_online"] as? Double == 1 })
        var written: [Double] = [], dropped: [Double] = []
        for i in 0..<8 {
            let value = 3.50 + Double(i) / 100
            let r = try HTTPAPITests.curl(port, "POST", "/api/packs/r1/settings/set",
                                          body: #"{"instruction":"BVOL","value":\#(value),"confirm":true}"#, token: "tk")
            if r.status == 200 { written.append(value) }
            if r.status == 503 {
                #expect((r.json?["error"] as? String)?.contains("will not run") == true, "\(r)")
                dropped.append(value)
            }
        }
        #expect(!dropped.isEmpty, "no command was dropped (written: \(written))")
        // Long enough for any dropped command to have run, were it still queued.
        Thread.sleep(forTimeInterval: 4)
        var value: Double?
        #expect(TestTools.waitUntil(30) {
            let r = try? HTTPAPITests.curl(port, "POST", "/api/packs/r1/settings/get", body: #"{"instruction":"BVOL"}"#)
            value = r?.status == 200 ? r?.json?["value"] as? Double : nil
            return value != nil
        })
        let expected = written.last ?? 3.58
        #expect(value.map { abs($0 - expected) < 0.0001 } == true, "BVOL \(value ?? .nan), last written \(expected), dropped \(dropped)")
        let log = gw.stop().stderr
        #expect(!log.contains("BVOL"), "a request body reached the log")
        #expect(log.contains(written.isEmpty ? "command get ok" : "command set ok"), "\(log)")
        #expect(log.components(separatedBy: "command set ok").count - 1 == written.count)
    }

    @Test func keysNeverReachTheLog() throws {
        let dir = try TestTools.tempDir("cmd-redact")
        try """
            site: redact
            buses: [{id: gauge, type: sim, transport: i2c}]
            packs: [{id: g1, driver: lc30, bus: gauge, address: "0x0B", allow_writes: true, options: {state_file: \(dir)/g1.json}}]
            sinks: [{type: http, listen: "127.0.0.1:0", token_env: T}]
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"], environment: ["T": "tok-9f3e2"])
        let port = try gw.port("http")
        #expect(TestTools.waitUntil(20) { (try? HTTPAPITests.curl(port, "GET", "/healthz"))?.json?["packs_online"] as? Double == 1 })
        let wrong = try HTTPAPITests.curl(port, "POST", "/api/bms/studio/security", body: #"{"action":"unseal","key1":"0x1A2B","key2":"0x3C4D"}"#, token: "tok-9f3e2")
        #expect(wrong.status == 403)
        let generic = try HTTPAPITests.curl(port, "POST", "/api/packs/g1/command",
                                            body: #"{"op":"security_set","action":"unseal","key1":"0x0414","key2":"0x3672"}"#, token: "tok-9f3e2")
        #expect(generic.status == 200, "\(generic)")
        let log = gw.stop().stderr
        for secret in ["1A2B", "3C4D", "0414", "3672", "tok-9f3e2"] where log.contains(secret) {
            Issue.record("'\(secret)' is in the log:\n\(log)")
        }
        #expect(log.contains("command security_set"))
    }
}
