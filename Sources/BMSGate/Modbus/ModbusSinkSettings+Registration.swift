extension ModbusSinkSettings: SinkSettings {
    /// Inverters read every bank's limits (SunSpec 802 or the flat map) by unit id.
    public func inverterBanks(in site: SiteConfig) -> [String]? { site.banks.map(\.id) }

    public static let type = "modbus-tcp"

    static let registration = SinkRegistration(
        ModbusSinkSettings.self, keys: ["listen", "map", "base", "max_connections", "max_per_address", "clients", "allow", "idle_timeout", "unit_id"]
    ) { section, d in
        var m = ModbusSinkSettings()
        if let (host, port) = section.listen(sink: "modbus-tcp", defaultHost: ModbusSinkSettings().host, defaultPort: 502, examples: "0.0.0.0:502, 127.0.0.1:5020 or [::]:502") {
            m.host = host
            m.port = port
        }
        if let v = section.value("map") {
            if let text = v.string, let map = ModbusSinkSettings.Map(rawValue: text) { m.map = map } else {
                d.report(v, "'map' of the modbus-tcp sink must be sunspec or simple")
            }
        }
        if let base = section.int("base", in: 0...65535) {
            if SunSpecImage.bases.contains(base) { m.base = base } else {
                d.report(section.value("base"), "'base' of the modbus-tcp sink must be 40000, 0 or 50000 (where SunSpec clients look)")
            }
        }
        m.connections = section.connectionPolicy(sink: "modbus-tcp", defaultMax: m.connections.maxConnections)
        m.idleTimeout = section.duration("idle_timeout", minimum: .seconds(1)) ?? m.idleTimeout
        if let v = section.value("unit_id") { m.unitIds = ModbusUnitIds.parse(v, d) }
        return m
    } make: { m, c in
        try ModbusTCPSink(settings: m, banks: c.config.banks, initial: c.site.peek(), logger: c.logger, clock: c.clock)
    }

    public var listenPort: Int? { port }

    public func resolved(in site: SiteConfig) -> ModbusSinkSettings {
        var m = self
        m.resolveFirstBank(site.banks)
        return m
    }

    public func problems(in site: SiteConfig) -> [(message: String, at: SourceLocation?)] {
        if site.banks.isEmpty { return [("the modbus-tcp sink serves banks (one unit id each): add a bank under 'banks:'", nil)] }
        var out: [(message: String, at: SourceLocation?)] = []
        let m = resolved(in: site)
        for name in m.unitIds.keys.sorted() where !site.banks.contains(where: { $0.id == name }) {
            out.append(("'unit_id' of the modbus-tcp sink names bank '\(name)', which is not defined", nil))
        }
        let ids = site.banks.map { m.unitId(of: $0) }
        if Set(ids).count != ids.count {
            out.append(("two banks answer on the same unit id on this modbus-tcp sink (\(ids.map(String.init).joined(separator: ", ")))", nil))
        }
        return out
    }
}
