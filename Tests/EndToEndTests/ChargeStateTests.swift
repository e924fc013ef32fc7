import Foundation
import Testing

/// The charge phase across restarts: kept in `state_dir`, read back at start (a restart in
/// float stays in float, the last full charge kept); a corrupt file starts in bulk and says so.
@Suite(.serialized) struct ChargeStateTests {
    @Test func aRestartInFloatStaysInFloatAndACorruptFileStartsInBulk() throws {
        let dir = try TestTools.tempDir("charge-state")
        var http = 0
        try """
            site: state
            state_dir: \(dir)/state
            buses: [{id: lab, type: sim}]
            packs: [{id: p1, driver: basen, bus: lab, address: 1, poll_interval: 300ms}]
            banks: [{id: main, packs: [p1], limits: {charge_current: 100, discharge_current: 150, charge_voltage: 55.2}}]
            sinks: [{type: http, listen: "127.0.0.1:0"}]
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        func phase() -> [String: Any]? {
            (((try? HTTPAPITests.curl(http, "GET", "/api/site"))?.json?["banks"] as? [[String: Any]])?.first?["limits"] as? [String: Any])?["phase"] as? [String: Any]
        }
        // First run: nothing kept yet; the bank starts in bulk and its state is written.
        var gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        http = try gw.port("http")
        #expect(TestTools.waitUntil(20) { phase()?["name"] as? String == "bulk" })
        var out = gw.stop()
        #expect(out.stderr.contains("no charge state in \(dir)/state/charge-main.json yet; starting in bulk"), "\(out.stderr.suffix(800))")
        let written = try String(contentsOfFile: dir + "/state/charge-main.json", encoding: .utf8)
        #expect(written.contains("\"phase\" : \"bulk\""), "\(written)")

        // Float with a full charge two days ago, as a previous run would have left it.
        try """
            {"version": 1, "phase": "float", "phaseSince": "2026-12-01T10:00:00Z", "lastFullCharge": "2026-12-01T10:00:00Z"}
            """.write(toFile: dir + "/state/charge-main.json", atomically: true, encoding: .utf8)
        gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        http = try gw.port("http")
        #expect(TestTools.waitUntil(20) { phase()?["name"] as? String == "float" })
        let p = try #require(phase())
        #expect(p["last_full_charge"] as? String == "2026-12-01T10:00:00.000Z" && p["since"] as? String == "2026-12-01T10:00:00.000Z", "\(p)")
        out = gw.stop()
        #expect(out.stderr.contains("charge state restored from \(dir)/state/charge-main.json: float"), "\(out.stderr.suffix(800))")

        // A corrupt file: bulk, and the log says why.
        try "{not json".write(toFile: dir + "/state/charge-main.json", atomically: true, encoding: .utf8)
        gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        http = try gw.port("http")
        #expect(TestTools.waitUntil(20) { phase()?["name"] as? String == "bulk" })
        out = gw.stop()
        #expect(out.stderr.contains("charge-main.json is unreadable") && out.stderr.contains("starting in bulk"), "\(out.stderr.suffix(800))")
    }
}
