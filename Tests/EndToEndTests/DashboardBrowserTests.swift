import Foundation
import Testing

/// The dashboard in headless Chromium (Tests/PythonTools/dashboard_check.py through
/// Selenium): emulators and the gateway in their own processes; the values shown equal
/// /api/site, an alarm raised in an emulator appears without a reload, a killed emulator's
/// pack turns STALE, the page fits a phone. The screenshot goes to .build/dashboard.png
/// (and to docs/dashboard.png, the README's, with BMSGATE_UPDATE_SCREENSHOT=1).
@Suite(.serialized) struct DashboardBrowserTests {
    @Test func theDashboardInARealBrowser() throws {
        let dir = try TestTools.tempDir("dashboard")
        let shot = TestTools.root + "/.build/dashboard.png"
        try? FileManager.default.removeItem(atPath: shot)
        let r = try TestTools.run(TestTools.python, [TestTools.pythonTools + "/dashboard_check.py", "--bmsgate", TestTools.bmsgate,
                                                     "--workdir", dir, "--screenshot", shot], timeout: 120)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout) \(r.stderr)")
        #expect(r.status == 0 && result["ok"] as? Bool == true, "\(result) \(r.stderr.suffix(2000))")
        #expect((result["mismatches"] as? [String]) == [] && result["compared"] as? Int == 20)
        #expect((result["alarm_seconds"] as? Double).map { $0 <= 2 } == true, "the alarm took \(String(describing: result["alarm_seconds"])) s")
        #expect((result["stale_seconds"] as? Double).map { $0 <= 10 } == true, "stale after \(String(describing: result["stale_seconds"])) s")
        #expect(result["stale_alert"] as? Bool == true)
        #expect(result["cell_bars"] as? Int == 16 && result["cell_min_marked"] as? Bool == true && result["cell_max_marked"] as? Bool == true)
        #expect((result["reasons_shown"] as? String)?.contains("cell_taper") == true, "the limit's reason is shown")
        #expect(result["phone_overflow_px"] as? Int == 0)
        let attributes = try FileManager.default.attributesOfItem(atPath: shot)
        #expect(((attributes[.size] as? Int) ?? 0) > 20_000, "a screenshot was saved")
        if ProcessInfo.processInfo.environment["BMSGATE_UPDATE_SCREENSHOT"] == "1" {
            try? FileManager.default.removeItem(atPath: TestTools.root + "/docs/dashboard.png")
            try FileManager.default.copyItem(atPath: shot, toPath: TestTools.root + "/docs/dashboard.png")
        }
    }

    @Test func theRoutesServeThePageTheStreamAndTheHistory() throws {
        let dir = try TestTools.tempDir("dashboard-routes")
        try """
            site: routes
            buses: [{id: lab, type: sim}]
            packs: [{id: d1, driver: daly, bus: lab, address: 1, poll_interval: 300ms}]
            banks: [{id: main, packs: [d1], limits: {charge_current: 50, discharge_current: 50}}]
            sinks: [{type: http, listen: "127.0.0.1:0"}]
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        defer { _ = gw.stop() }
        let port = try gw.port("http")
        #expect(TestTools.waitUntil(15) { ((try? TestTools.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/api/site"]))?.stdout ?? "").contains("\"online\":true") })
        let page = try TestTools.run("/usr/bin/curl", ["-si", "http://127.0.0.1:\(port)/"])
        #expect(page.stdout.contains("200 OK") && page.stdout.lowercased().contains("content-type: text/html") && page.stdout.contains("/dashboard.js"))
        #expect(page.stdout.lowercased().contains("content-security-policy: default-src 'self'"))
        let script = try TestTools.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/dashboard.js"])
        #expect(script.status == 0 && script.stdout.contains("EventSource"))
        // Two events from the stream within 3 s, each the /api/site JSON plus sinks.
        let events = try TestTools.run("/usr/bin/curl", ["-sN", "--max-time", "3", "http://127.0.0.1:\(port)/api/events"], timeout: 10)
        let data = events.stdout.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("data: ") }
        #expect(events.stdout.hasPrefix("retry: 2000") && data.count >= 2, "\(events.stdout.prefix(300))")
        let first = try #require(try JSONSerialization.jsonObject(with: Data(data[0].dropFirst(6).utf8)) as? [String: Any])
        #expect(first["site"] as? String == "routes" && (first["packs"] as? [Any])?.count == 1 && first["sinks"] != nil)
        let ids = try TestTools.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/api/history"])
        #expect(ids.stdout == #"["bank:main","pack:d1"]"#, "\(ids.stdout)")
        let bank = try #require(try JSONSerialization.jsonObject(with: Data(try TestTools.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/api/history/main"]).stdout.utf8)) as? [String: Any])
        #expect(bank["kind"] as? String == "bank" && (1...2).contains((bank["time"] as? [Double])?.count ?? 0), "one point a minute (two when the run crosses a minute)")
        #expect(((bank["values"] as? [String: Any])?["charge_current_limit"] as? [Double])?.first != nil)
        let pack = try TestTools.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/api/history/pack:d1"])
        #expect(pack.stdout.contains("\"cell_min\":[3.31"), "\(pack.stdout.prefix(300))")
        let missing = try TestTools.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/api/history/nope"])
        #expect(missing.stdout == "404")
    }
}
