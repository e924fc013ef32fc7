import Foundation
import Testing

/// dist/grafana/bmsgate-dashboard.json queries only metrics a gateway exposes: every
/// `bmsgate_*` name in its PromQL appears in /metrics of a site with every inverter sink
/// (which also serves /metrics with two sinks reporting the same counter name).
@Suite struct GrafanaDashboardTests {
    @Test func everyQueriedMetricExists() throws {
        let file = TestTools.root + "/dist/grafana/bmsgate-dashboard.json"
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let exprs = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(exprs.count >= 15)
        let regex = try NSRegularExpression(pattern: "bmsgate_[a-z_]+")
        var names = Set<String>()
        for e in exprs {
            for m in regex.matches(in: e, range: NSRange(e.startIndex..., in: e)) { names.insert(String(e[Range(m.range, in: e)!])) }
        }
        #expect(names.contains("bmsgate_bank_charge_current_limit_amperes") && names.contains("bmsgate_cell_delta_volts"))

        let dir = try TestTools.tempDir("grafana")
        try """
            site: grafana
            buses: [{id: lab, type: sim}, {id: pl, type: sim}]
            packs:
              - {id: d1, driver: daly, bus: lab, address: 1, poll_interval: 300ms}
              - {id: u, driver: pylontech, bus: pl, address: 2, poll_interval: 300ms}
            banks: [{id: main, packs: [d1, u], limits: {charge_voltage: 55.2, charge_current: 50, discharge_current: 50}}]
            sinks:
              - {type: http, listen: "127.0.0.1:0"}
              - {type: can, bank: main, profile: pylon, device: sim, discharge_voltage: 48}
              - {type: pylon-rs485, bank: main, device: sim}
              - {type: modbus-tcp, listen: "127.0.0.1:0"}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        defer { _ = gw.stop() }
        let port = try gw.port("http")
        var metrics = ""
        #expect(TestTools.waitUntil(20) {
            metrics = (try? TestTools.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/metrics"]))?.stdout ?? ""
            return metrics.contains("bmsgate_sink_inverter_last_seen_age_seconds{") && metrics.contains("bmsgate_bank_soc_percent{")
                && metrics.components(separatedBy: "bmsgate_sink_inverter_last_seen_age_seconds{").count == 3
        }, "both inverter sinks report a last-seen age: \(metrics.suffix(500))")
        let exposed = Set(metrics.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) })
        for name in names.sorted() {
            #expect(exposed.contains(name), "the dashboard queries \(name), which /metrics does not expose")
        }
        #expect(metrics.components(separatedBy: "# HELP bmsgate_sink_inverter_last_seen_age_seconds").count == 2, "one help text per name")
    }
}
