import Testing

@testable import BMSGate

/// Every issue `ConfigLoader` reports for `yaml` (read as `file`), as `FILE:LINE:COL: message`.
func configIssues(_ yaml: String, file: String = "site.yaml") -> [String] {
    do {
        _ = try ConfigLoader.parse(yaml: yaml, file: file)
        return []
    } catch {
        return error.issues.map(\.description)
    }
}

@Suite struct ConfigLoaderTests {
    func issues(_ yaml: String) -> [String] { configIssues(yaml) }

    @Test func theRepositoryConfigIsValid() throws {
        let root = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let site = try ConfigLoader.load(path: "/" + root + "/config.yaml")
        #expect(site.packs.map(\.id) == ["p1", "p2", "rec1", "jk1", "jk2", "lc30", "us2000", "daly1", "jbd1", "jbd2"])
        #expect(site.packs.map(\.address) == ["1", "2", "1", "1", "C8:47:8C:12:34:56", "0x0B", "2", "1", "", "A4:C1:38:AB:CD:EF"])
        #expect(site.buses.map(\.isBLE) == [false, false, false, true, false, false, false, false])
        #expect(site.buses.map(\.isI2C) == [false, false, false, false, true, false, false, false])
        #expect(site.banks.first?.packs == ["p1", "p2"])
        #expect(site.sinks.map(\.typeName) == ["stdout", "file", "modbus-tcp", "mqtt", "http", "can", "pylon-rs485"])
        guard let sim = site.buses[0].settings as? SimBusSettings else { Issue.record("not a sim bus"); return }
        #expect(sim.lineRate == 9600)
    }

    @Test func fullShapeParses() throws {
        let yaml = """
            site: home
            plugin_dirs: [/opt/bmsgate/drivers]
            buses:
              - {id: rack, type: serial, device: /dev/ttyUSB0, baud: 9600, parity: even, turnaround: 5ms}
              - {id: bridge, type: tcp, host: 192.168.1.50, port: 8899}
            packs:
              - {id: p1, driver: basen, bus: rack, address: 1, poll_interval: 500ms, timeout: 2s, retries: 3}
              - {id: p2, driver: basen, bus: bridge, address: "0x02", options: {foo: bar}, allow_writes: true}
            banks:
              - {id: main, packs: [p1, p2], stale_after: 15s}
            sinks:
              - {type: stdout, format: json}
              - {type: file, path: data/r.jsonl, max_size: 1MB, keep: 2}
            """
        let site = try ConfigLoader.parse(yaml: yaml, file: "site.yaml")
        #expect(site.site == "home")
        #expect(site.pluginDirs == ["/opt/bmsgate/drivers"])
        guard let s = site.buses[0].settings as? SerialSettings else { Issue.record("not serial"); return }
        #expect(s.baud == 9600 && s.parity == "even" && s.turnaround == .milliseconds(5))
        guard let tcp = site.buses[1].settings as? TCPBusSettings else { Issue.record("not tcp"); return }
        #expect(tcp.host == "192.168.1.50" && tcp.port == 8899)
        #expect(site.packs[0].pollInterval == .milliseconds(500))
        #expect(site.packs[0].timeout == .seconds(2))
        #expect(site.packs[0].retries == 3)
        #expect(site.packs[1].address == "0x02")
        #expect(site.packs[1].allowWrites)
        #expect(site.packs[1].options.map(\.key) == ["foo"])
        #expect(site.banks[0].staleAfter == .seconds(15))
        guard let file = site.sinks[1].settings as? FileSinkSettings else { Issue.record("not file"); return }
        #expect(file.path == "data/r.jsonl" && file.maxSize == 1 << 20 && file.keep == 2)
    }

    @Test func sinksOfAnyTypeCannotShareAPort() {
        let found = issues("""
            buses: [{id: b, type: sim}]
            packs: [{id: p, driver: basen, bus: b, address: 1}]
            banks: [{id: k, packs: [p]}]
            sinks:
              - {type: modbus-tcp, listen: "127.0.0.1:8080"}
              - {type: http, listen: "127.0.0.1:8080"}
              - {type: nonsense}
            """)
        #expect(found.contains("site.yaml:6:5: the modbus-tcp sink (site.yaml:5:5) and this http sink listen on port 8080"), "\(found)")
        #expect(found.contains("site.yaml:7:12: unknown sink type 'nonsense' (supported: stdout, file, modbus-tcp, mqtt, http, prometheus, can, pylon-rs485)"), "\(found)")
    }

    @Test func staleAfterOutsideSaneBoundsIsAWarning() throws {
        let site = try ConfigLoader.parse(yaml: """
            buses: [{id: b, type: sim}]
            packs:
              - {id: p, driver: basen, bus: b, address: 1, poll_interval: 5s, stale_after: 2s}
              - {id: q, driver: basen, bus: b, address: 2}
              - {id: r, driver: basen, bus: b, address: 3}
            banks: [{id: k, packs: [q], stale_after: 1h}, {id: ok, packs: [r]}]
            """, file: "site.yaml")
        #expect(site.warnings.map(\.description) == [
            "site.yaml:3:5: pack 'p': stale_after 2000 ms is not longer than its poll_interval 5000 ms: it will go offline (and its bank to 0 A) between good polls",
            "site.yaml:6:9: pack 'q': stale_after 3600 s: an inverter would keep acting on data that old; a few poll intervals is usual",
        ])
    }

    @Test func aBarePortListensOnTheSinksDefaultHost() throws {
        let site = try ConfigLoader.parse(yaml: """
            buses: [{id: b, type: sim}]
            packs: [{id: p, driver: basen, bus: b, address: 1}]
            banks: [{id: k, packs: [p]}]
            sinks: [{type: http, listen: "8081"}, {type: modbus-tcp, listen: "5020"}, {type: http, listen: ":8082"}]
            """, file: "site.yaml")
        let http = try #require(site.sinks[0].settings as? HTTPSinkSettings)
        let modbus = try #require(site.sinks[1].settings as? ModbusSinkSettings)
        let any = try #require(site.sinks[2].settings as? HTTPSinkSettings)
        #expect(http.host == "127.0.0.1" && http.port == 8081)
        #expect(modbus.host == "0.0.0.0" && modbus.port == 5020)
        #expect(any.host == "0.0.0.0" && any.port == 8082)
        #expect(configIssues("sinks: [{type: http, listen: \"99999\"}]\n").contains { $0.contains("'listen' of the http sink must be HOST:PORT") })
    }

    @Test func unknownKeyIsReportedWithLineAndColumn() {
        let yaml = """
            site: x
            buses:
              - id: lab
                type: sim
                baudrate: 9600
            packs:
              - {id: p1, driver: basen, bus: lab, address: 1}
            """
        let found = issues(yaml)
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("site.yaml:5:5: unknown key 'baudrate' in bus 'lab'") == true)
    }

    @Test func unknownTopLevelKey() {
        #expect(issues("site: x\nbusses: []\npacks: []\n").first?.hasPrefix("site.yaml:2:1: unknown key 'busses'") == true)
    }

    @Test func danglingReferencesAreReported() {
        let yaml = """
            buses:
              - {id: lab, type: sim}
            packs:
              - {id: p1, driver: basen, bus: nowhere, address: 1}
            banks:
              - {id: main, packs: [p1, ghost]}
            """
        let found = issues(yaml)
        #expect(found.contains { $0.hasPrefix("site.yaml:4:5: pack 'p1' names bus 'nowhere', which is not defined") })
        #expect(found.contains { $0.hasPrefix("site.yaml:6:28: bank 'main' names pack 'ghost', which is not defined") })
    }

    @Test func badValuesAreReportedAtTheValue() {
        let yaml = """
            buses:
              - {id: lab, type: serial, device: /dev/ttyUSB0, baud: fast, parity: maybe}
            packs:
              - {id: p1, driver: basen, bus: lab, address: 1, poll_interval: soon, retries: 99}
            sinks:
              - {type: stdout, format: xml}
            """
        let found = issues(yaml)
        #expect(found.contains("site.yaml:2:57: 'baud' in bus 'lab' must be a whole number"))
        #expect(found.contains("site.yaml:2:71: 'parity' in bus 'lab' must be none, even or odd"))
        #expect(found.contains("site.yaml:4:66: 'poll_interval' in pack 'p1' must be a duration like 1s, 500ms, 2m"))
        #expect(found.contains("site.yaml:4:81: 'retries' in pack 'p1' must be within 0...10, not 99"))
        #expect(found.contains("site.yaml:6:28: 'format' of the stdout sink must be table or json, not 'xml'"))
    }

    @Test func duplicateIdsAndMissingFields() {
        let yaml = """
            buses:
              - {id: lab, type: sim}
              - {id: lab, type: sim}
            packs:
              - {id: p1, bus: lab}
            """
        let found = issues(yaml)
        #expect(found.contains("site.yaml:3:10: bus id 'lab' is used twice"))
        #expect(found.contains("site.yaml:5:5: pack 'p1' is missing 'driver'"))
    }

    @Test func i2cBusesParseAndUnknownTypesSaySo() throws {
        let site = try ConfigLoader.parse(yaml: "buses:\n  - {id: g, type: i2c, device: /dev/i2c-1, retries: 3}\npacks:\n  - {id: p, driver: lc30, bus: g, address: \"0x0B\"}\n",
                                          file: "site.yaml")
        guard let i2c = site.buses[0].settings as? I2CBusSettings else { Issue.record("not an i2c bus"); return }
        #expect(i2c.device == "/dev/i2c-1" && i2c.retries == 3 && site.buses[0].isI2C)
        let found = issues("buses:\n  - {id: g, type: can}\npacks:\n  - {id: p, driver: lc30, bus: g}\n")
        #expect(found.contains { $0.hasPrefix("site.yaml:2:19: unknown bus type 'can' (supported: serial, tcp, sim, ble, i2c)") })
    }

    @Test func yamlSyntaxErrorHasItsPosition() {
        let found = issues("buses:\n  - {id: lab, type: sim\npacks: []\n")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("site.yaml:3:") == true)
        #expect(found.first?.contains("YAML syntax") == true)
    }

    @Test func durationsAndSizes() {
        #expect(DurationParsing.parse("1s") == .seconds(1))
        #expect(DurationParsing.parse("500ms") == .milliseconds(500))
        #expect(DurationParsing.parse("1.5s") == .milliseconds(1500))
        #expect(DurationParsing.parse("2m") == .seconds(120))
        #expect(DurationParsing.parse("3") == .seconds(3))
        #expect(DurationParsing.parse("soon") == nil)
        #expect(DurationParsing.parse("-1s") == nil)
        #expect(DurationParsing.size("10MB") == 10 << 20)
        #expect(DurationParsing.size("512KB") == 512 << 10)
        #expect(DurationParsing.size("0") == nil)
    }
}

/// Careless input the loader must refuse with FILE:LINE:COL instead of crashing, trapping or
/// silently picking one value (hardening issue).
@Suite struct CarelessConfigTests {
    let head = "buses: [{id: b, type: sim}]\n"

    @Test func deepNestingIsRefusedBeforeTheParserSeesIt() {
        let deep = "site: x\nextra: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n"
        let found = configIssues(deep)
        #expect(found == ["site.yaml:2:72: nesting deeper than 64 levels: a site file never needs that many"], "\(found)")
        // Brackets inside quotes and comments do not count.
        let quoted = head + "packs: [{id: p, driver: basen, bus: b, address: 1}]  # " + String(repeating: "[", count: 100) + "\nsite: \"" + String(repeating: "{", count: 100) + "\"\n"
        #expect(configIssues(quoted).isEmpty, "\(configIssues(quoted))")
    }

    @Test func hugeDurationsAndSizesAreErrorsNotTraps() {
        let found = configIssues(head + """
            packs: [{id: p, driver: basen, bus: b, address: 1, poll_interval: 1e20s, timeout: 99999999999999999999ms}]
            sinks: [{type: file, path: x.jsonl, max_size: 1e20GB}]
            """)
        #expect(found.contains { $0.hasPrefix("site.yaml:2:67: 'poll_interval' in pack 'p' is longer than a year") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("site.yaml:2:83: 'timeout' in pack 'p' is longer than a year") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("site.yaml:3:47: 'max_size' of the file sink must be a size") }, "\(found)")
    }

    @Test func aKeyTwiceIsAnError() {
        let found = configIssues(head + "packs: [{id: p, driver: basen, bus: b, address: 1, address: 2}]\n")
        #expect(found == ["site.yaml:2:52: 'address' is given twice (first at site.yaml:2:40): give each key once"], "\(found)")
    }

    @Test func manyCopiesOfOneAddressAreReportedOnceEach() {
        let packs = (0..<2000).map { "  - {id: p\($0), driver: basen, bus: b, address: 1}" }.joined(separator: "\n")
        let found = configIssues(head + "packs:\n" + packs + "\n")
        #expect(found.count == 1999)
        #expect(Set(found).count == found.count)
    }
}
