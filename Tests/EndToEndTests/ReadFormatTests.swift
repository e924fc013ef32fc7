import Foundation
import Testing

/// `bmsgate read --format yaml|toml|metrics`, each parsed by a real parser (PyYAML,
/// Python's tomllib, prometheus_client's exposition parser) and compared with the JSON.
@Suite struct ReadFormatTests {
    func read(_ format: String) throws -> String {
        let dir = try TestTools.tempDir("formats")
        let config = dir + "/site.yaml"
        try """
            site: formats
            buses: [{id: lab, type: sim}]
            packs:
              - {id: j1, driver: jk-bms, bus: lab, address: 1}
              - {id: b2, driver: basen, bus: lab, address: 2}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let r = try TestTools.run(TestTools.bmsgate, ["read", "--config", config, "--format", format], timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout
    }

    /// Runs the Python parser on `text`; its JSON.
    func parse(_ kind: String, _ text: String) throws -> Any {
        let input = NSTemporaryDirectory() + "bmsgate-format-\(UUID().uuidString.prefix(8))"
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: input) }
        let r = try TestTools.run("/bin/sh", ["-c", "\"$0\" \"$1\" \"$2\" < \"$3\"", TestTools.python,
                                             TestTools.pythonTools + "/parse_formats.py", kind, input])
        #expect(r.status == 0, "\(kind) parser: \(r.stderr)")
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    }

    @Test func yamlAndTomlHoldTheReadingFields() throws {
        let yaml = try #require(try parse("yaml", try read("yaml")) as? [[String: Any]])
        #expect(yaml.map { $0["pack"] as? String } == ["j1", "b2"])
        let toml = try #require((try parse("toml", try read("toml")) as? [String: Any])?["pack"] as? [[String: Any]])
        #expect(toml.map { $0["pack"] as? String } == ["j1", "b2"])
        for packs in [yaml, toml] {
            let jk = packs[0]
            #expect(jk["driver"] as? String == "jk-bms")
            #expect(jk["online"] as? Bool == true)
            #expect((jk["cells"] as? [Double])?.count == 16)
            #expect(jk["current"] as? Double == 6.25)
            #expect((jk["identity"] as? [String: Any])?["firmware"] as? String == "11.XW_S11.26___")
            #expect((jk["extras"] as? [String: Any])?["cell_overvoltage_protection"] as? Double == 3.65)
            #expect((jk["stats"] as? [String: Any])?["ok"] as? Double == 1)
            let basen = packs[1]
            #expect(basen["driver"] as? String == "basen")
            #expect((basen["identity"] as? [String: Any])?["serial"] as? String != nil)
        }
    }

    @Test func metricsParseWithHelpTypeAndLabels() throws {
        let text = try read("metrics")
        let families = try #require(try parse("metrics", text) as? [[String: Any]])
        func family(_ name: String) -> [String: Any]? { families.first { $0["name"] as? String == name } }
        func samples(_ name: String) -> [[String: Any]] { (family(name)?["samples"] as? [[String: Any]]) ?? [] }
        for f in families {
            #expect((f["help"] as? String)?.isEmpty == false, "\(f["name"] ?? "?") has no HELP")
        }
        #expect(family("bmsgate_voltage_volts")?["type"] as? String == "gauge")
        let cells = samples("bmsgate_cell_voltage_volts").filter { ($0["labels"] as? [String: String])?["device"] == "j1" }
        #expect(cells.count == 16)
        #expect(Set(cells.compactMap { ($0["labels"] as? [String: String])?["cell"] }) == Set((1...16).map(String.init)))
        let current = samples("bmsgate_current_amperes").first { ($0["labels"] as? [String: String])?["device"] == "j1" }
        #expect(current?["value"] as? Double == 6.25)
        // Counters: prometheus_client names the family without _total, the sample with it.
        #expect(family("bmsgate_cycles")?["type"] as? String == "counter")
        #expect(samples("bmsgate_cycles").contains { $0["name"] as? String == "bmsgate_cycles_total" })
        let alarms = samples("bmsgate_alarm").filter { ($0["labels"] as? [String: String])?["device"] == "b2" }
        #expect(alarms.count == 17)
        let info = samples("bmsgate_info").first { ($0["labels"] as? [String: String])?["device"] == "j1" }
        #expect((info?["labels"] as? [String: String])?["model"] == "JK_B2A24S15P-BMSGATE-EMU")
        #expect(text.contains("# TYPE bmsgate_voltage_volts gauge"))
    }

    @Test func unknownFormatIsRefused() throws {
        let r = try TestTools.run(TestTools.bmsgate, ["read", "--format", "xml"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--format must be one of table, json, json-pretty, yaml, toml, toml-pretty, metrics"))
    }
}
