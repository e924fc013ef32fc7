import Testing

@testable import BMSGate

/// The `limits:`, `failsafe`, `unit_id` and modbus-tcp sink settings of the site file.
@Suite struct LimitsConfigTests {
    func issues(_ yaml: String) -> [String] { configIssues(yaml) }

    let head = """
        buses: [{id: lab, type: sim}]
        packs:
          - {id: a, driver: basen, bus: lab, address: 1, limits: {charge_current: 50, discharge_current: 80, charge_voltage: 28.8}}
          - {id: b, driver: basen, bus: lab, address: 2}

        """

    @Test func everyLimitParses() throws {
        let site = try ConfigLoader.parse(yaml: head + """
            banks:
              - id: main
                packs: [a, b]
                unit_id: 7
                failsafe: share
                limits:
                  charge_voltage: 55.2
                  charge_current: 100
                  discharge_current: 150.5
                  cell_voltage_max: 3.6
                  taper_start: 3.45
                  charge_temperature: {min: 0, low: 5, high: 40, max: 50}
                  discharge_temperature: {min: -20, max: 60}
                  reserve_soc: 10
            sinks:
              - {type: modbus-tcp, listen: "127.0.0.1:15020", map: simple, max_connections: 8, idle_timeout: 5s, queue: 4}
              - {type: modbus-tcp, listen: "[::1]:15021", base: 50000}
            """, file: "site.yaml")
        #expect(site.packs[0].limits.chargeCurrent == 50)
        #expect(site.packs[0].limits.dischargeCurrent == 80)
        #expect(site.packs[0].limits.chargeVoltage == 28.8)
        let bank = site.banks[0]
        #expect(bank.unitId == 7)
        #expect(bank.limits.failsafe == .share)
        #expect(bank.limits.chargeVoltage == 55.2)
        #expect(bank.limits.chargeCurrent == 100)
        #expect(bank.limits.dischargeCurrent == 150.5)
        #expect(bank.limits.cellVoltageMax == 3.6)
        #expect(bank.limits.taperStart == 3.45)
        #expect(bank.limits.chargeTemperature == TemperatureWindow(min: 0, low: 5, high: 40, max: 50))
        #expect(bank.limits.dischargeTemperature == TemperatureWindow(min: -20, low: -20, high: 60, max: 60))
        #expect(bank.limits.reserveSoc == 10)
        guard let m = site.sinks[0].settings as? ModbusSinkSettings, let m2 = site.sinks[1].settings as? ModbusSinkSettings else {
            Issue.record("not modbus sinks")
            return
        }
        #expect(m.host == "127.0.0.1" && m.port == 15020 && m.map == .simple && m.maxConnections == 8)
        #expect(m.idleTimeout == .seconds(5))
        #expect(site.sinks[0].queue == 4)
        #expect(m2.host == "::1" && m2.port == 15021 && m2.map == .sunspec && m2.base == 50000)
    }

    @Test func defaults() throws {
        let site = try ConfigLoader.parse(yaml: head + """
            banks: [{id: one, packs: [a]}, {id: two, packs: [b]}]
            sinks: [{type: modbus-tcp}]
            """, file: "site.yaml")
        #expect(site.banks.map(\.unitId) == [1, 2])
        #expect(site.banks[0].limits == BankLimitsConfig())
        #expect(site.banks[0].limits.failsafe == .zero)
        guard let m = site.sinks[0].settings as? ModbusSinkSettings else { Issue.record("not modbus"); return }
        #expect(m == ModbusSinkSettings())
        #expect(m.host == "0.0.0.0" && m.port == 502 && m.base == 40000 && m.maxConnections == 32)
    }

    @Test func connectionPolicyKeys() throws {
        let site = try ConfigLoader.parse(yaml: head + """
            banks: [{id: main, packs: [a, b]}]
            sinks:
              - type: modbus-tcp
                max_connections: 16
                max_per_address: 3
                clients: [192.168.1.20, "fd00::7"]
                allow: [192.168.1.0/24]
            """, file: "site.yaml")
        guard let m = site.sinks[0].settings as? ModbusSinkSettings else { Issue.record("not modbus"); return }
        #expect(m.connections.maxConnections == 16 && m.connections.maxPerAddress == 3)
        #expect(m.connections.clients.map(\.description) == ["192.168.1.20", "fd00::7"])
        #expect(m.connections.allow.map(\.description) == ["192.168.1.0/24"])
        #expect(ModbusSinkSettings().connections.maxPerAddress == 8)
        let found = issues(head + """
            banks: [{id: main, packs: [a, b]}]
            sinks:
              - {type: modbus-tcp, clients: [192.168.1.300, ok], allow: 10.0.0.1, max_per_address: 0}
              - {type: modbus-tcp, listen: ":5020", max_connections: 2, clients: [10.0.0.1, 10.0.0.2]}
            """)
        #expect(found == [
            "site.yaml:7:34: '192.168.1.300' in 'clients' of the modbus-tcp sink is not an IP address or network (192.168.1.20, 192.168.1.0/24, fd00::/8)",
            "site.yaml:7:49: 'ok' in 'clients' of the modbus-tcp sink is not an IP address or network (192.168.1.20, 192.168.1.0/24, fd00::/8)",
            "site.yaml:7:61: 'allow' of the modbus-tcp sink must be a list of addresses, like [192.168.1.20, 10.0.0.0/24]",
            "site.yaml:7:88: 'max_per_address' in sink 'modbus-tcp' (sinks[0]) must be within 1...4096, not 0",
            "site.yaml:8:70: the modbus-tcp sink names 2 clients but allows 2 connections: raise max_connections so others fit too",
        ], "\(found)")
    }

    @Test func badLimitsAreReportedWhereTheyAre() {
        let found = issues(head + """
            banks:
              - id: main
                packs: [a, b]
                failsafe: maybe
                limits:
                  charge_current: lots
                  taper_start: 3.7
                  cell_voltage_max: 3.6
                  charge_temperature: {min: 10, low: 5, high: 40, max: 50}
                  discharge_temperature: {low: 5}
                  reserve_soc: 120
                  volts: 3
            """)
        #expect(found.contains("site.yaml:8:15: 'failsafe' of bank 'main' must be zero (0 A while a pack is offline) or share (the others keep their share)"))
        #expect(found.contains("site.yaml:10:23: 'charge_current' in limits of bank 'main' must be a number"))
        #expect(found.contains("site.yaml:11:20: 'taper_start' in limits of bank 'main' must be below 'cell_voltage_max' (3.6 V)"))
        #expect(found.contains("site.yaml:13:27: 'charge_temperature' in limits of bank 'main' must satisfy min <= low <= high <= max with min < max"))
        #expect(found.contains("site.yaml:14:30: 'discharge_temperature' in limits of bank 'main' needs 'min' and 'max' (°C, 0 A at or beyond them)"))
        #expect(found.contains("site.yaml:15:20: 'reserve_soc' in limits of bank 'main' must be within 0.0...100.0, not 120"))
        #expect(found.contains { $0.hasPrefix("site.yaml:16:7: unknown key 'volts' in limits of bank 'main'") })
    }

    @Test func badModbusSettingsAndUnitIds() {
        let found = issues(head + """
            banks: [{id: one, packs: [a], unit_id: 3}, {id: two, packs: [b], unit_id: 3}, {id: three, packs: [], unit_id: 300}]
            sinks:
              - {type: modbus-tcp, listen: "nowhere:port", map: fancy, base: 1000}
              - {type: modbus-tcp, listen: ":502"}
            """)
        #expect(found.contains { $0.contains("banks 'one' and 'two' both use Modbus unit_id 3") })
        #expect(!found.contains { $0.contains("banks 'two' and 'three'") })  // an invalid unit_id is not also a collision
        #expect(found.contains { $0.contains("'unit_id' in bank 'three' must be within 1...247, not 300") })
        #expect(found.contains("site.yaml:7:32: 'listen' of the modbus-tcp sink must be HOST:PORT like 0.0.0.0:502, 127.0.0.1:5020 or [::]:502"))
        #expect(found.contains("site.yaml:7:53: 'map' of the modbus-tcp sink must be sunspec or simple"))
        #expect(found.contains { $0.contains("'base' of the modbus-tcp sink must be 40000, 0 or 50000") })
        #expect(found.contains { $0.contains("two modbus-tcp sinks listen on port 502") })
    }

    @Test func modbusNeedsABank() {
        #expect(issues(head + "sinks: [{type: modbus-tcp}]") == [
            "site.yaml:5:9: the modbus-tcp sink serves banks (one unit id each): add a bank under 'banks:'",
        ])
    }
}

/// `unit_id` on the modbus-tcp sink: a number for the first bank (the next ones follow) or a
/// mapping per bank; it overrides the banks' own unit ids for that sink only.
@Suite struct ModbusUnitIdConfigTests {
    let head = """
        buses: [{id: lab, type: sim}]
        packs: [{id: a, driver: basen, bus: lab, address: 1}, {id: b, driver: basen, bus: lab, address: 2}]
        banks: [{id: one, packs: [a]}, {id: two, packs: [b], unit_id: 9}]

        """

    func settings(_ sink: String) throws -> (SiteConfig, ModbusSinkSettings) {
        let site = try ConfigLoader.parse(yaml: head + "sinks: [\(sink)]", file: "s.yaml")
        guard let m = site.sinks[0].settings as? ModbusSinkSettings else { throw ConfigError([]) }
        return (site, m)
    }

    @Test func numberAndMapping() throws {
        let (site, plain) = try settings("{type: modbus-tcp}")
        #expect(site.banks.map { plain.unitId(of: $0) } == [1, 9])
        let (_, number) = try settings("{type: modbus-tcp, unit_id: 5}")
        #expect(site.banks.map { number.unitId(of: $0) } == [5, 6])
        let (_, mapping) = try settings("{type: modbus-tcp, unit_id: {two: 3}}")
        #expect(site.banks.map { mapping.unitId(of: $0) } == [1, 3])
    }

    @Test func badUnitIds() {
        func issues(_ sink: String) -> [String] { configIssues(head + "sinks: [\(sink)]", file: "s.yaml") }
        #expect(issues("{type: modbus-tcp, unit_id: 0}") == ["s.yaml:4:37: a Modbus unit id must be a whole number within 1...247"])
        #expect(issues("{type: modbus-tcp, unit_id: {three: 2}}") == ["s.yaml:4:9: 'unit_id' of the modbus-tcp sink names bank 'three', which is not defined"])
        #expect(issues("{type: modbus-tcp, unit_id: {one: 9}}") == ["s.yaml:4:9: two banks answer on the same unit id on this modbus-tcp sink (9, 9)"])
    }
}
