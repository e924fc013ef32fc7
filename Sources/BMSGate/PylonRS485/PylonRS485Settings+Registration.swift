extension PylonRS485Settings: SinkSettings {
    /// The inverter on the RS485 link gets this bank's limits.
    public func inverterBanks(in site: SiteConfig) -> [String]? { [bank] }

    public static let type = "pylon-rs485"

    static let registration = SinkRegistration(
        PylonRS485Settings.self,
        keys: ["bank", "device", "baud", "listen", "modules", "discharge_voltage", "charge_voltage", "device_name", "manufacturer"]
    ) { section, d in
        let bank = section.string("bank", required: true)
        var link: Link?
        switch (section.string("device"), section.value("listen")) {
        case ("sim", nil): link = .simulated
        case (let dev?, nil): link = .device(dev, baud: section.int("baud", in: 1200...921_600) ?? 9600)
        case (nil, .some):
            if let (host, port) = section.listen(sink: "pylon-rs485", defaultHost: "0.0.0.0", defaultPort: 8234, examples: "0.0.0.0:8234") {
                link = .listen(host: host, port: port)
            }
        case (.some, .some): d.report(section.value("listen"), "give the pylon-rs485 sink either device (a serial port) or listen (a TCP port for an RS485 bridge), not both")
        case (nil, nil): d.report(section.node, "the pylon-rs485 sink needs device: (the RS485 port the inverter is on, e.g. /dev/ttyUSB1; sim for a simulated inverter) or listen: (HOST:PORT)")
        }
        guard let bank, let link else { return nil }
        var s = PylonRS485Settings(bank: bank, link: link)
        if let v = section.value("modules") {
            if let text = v.string, let m = Modules(rawValue: text) { s.modules = m } else {
                d.report(v, "'modules' of the pylon-rs485 sink must be packs (one module per pack) or bank (the bank as one module)")
            }
        }
        s.dischargeVoltage = section.number("discharge_voltage", in: 1...1000)
        s.chargeVoltage = section.number("charge_voltage", in: 1...1000)
        if let name = section.string("device_name") {
            if name.utf8.count > 10 || !name.allSatisfy(\.isASCII) {
                d.report(section.value("device_name"), "'device_name' is sent in 0x51 as 10 ASCII characters: '\(name)' does not fit")
            } else {
                s.deviceName = name
            }
        }
        if let maker = section.string("manufacturer") {
            if maker.utf8.count > 20 || !maker.allSatisfy(\.isASCII) {
                d.report(section.value("manufacturer"), "'manufacturer' is sent in 0x51 as 20 ASCII characters: '\(maker)' does not fit")
            } else {
                s.manufacturer = maker
            }
        }
        return s
    } make: { s, c in
        guard let bank = c.config.banks.first(where: { $0.id == s.bank }) else { throw TransportError("no bank '\(s.bank)'") }
        return try PylonRS485Sink(settings: s, bank: bank, logger: c.logger, clock: c.clock)
    }

    public var listenPort: Int? {
        if case .listen(_, let port) = link { return port }
        return nil
    }

    public var maxConnections: Int? {
        if case .listen = link { return PylonTCPClients.maxClients }
        return nil
    }

    public func problems(in site: SiteConfig) -> [(message: String, at: SourceLocation?)] {
        guard let bank = site.banks.first(where: { $0.id == self.bank }) else {
            return [("the pylon-rs485 sink answers for bank '\(self.bank)', which is not defined (banks: \(site.banks.map(\.id).joined(separator: ", ")))", nil)]
        }
        if bank.limits.chargeVoltage == nil && bank.inverter.chargeVoltage == nil {
            return [("the pylon-rs485 sink needs a charge voltage limit: set limits: {charge_voltage: ...} on bank '\(bank.id)' or charge_voltage: on the sink", nil)]
        }
        // 0x92 and 0x63 carry voltages in mV as 16 bits: 65.535 V at most.
        for (name, v) in [("charge voltage", bank.limits.chargeVoltage ?? bank.inverter.chargeVoltage), ("discharge voltage", bank.inverter.dischargeVoltage)] {
            if let v, v > 65.535 {
                return [("the pylon-rs485 sink sends the \(name) in mV in 16 bits (65.535 V at most): bank '\(bank.id)' gives \(JSONValue.numberText(v)) V (a low-voltage protocol)", nil)]
            }
        }
        if modules == .packs && bank.packs.count > 14 {
            return [("modules: packs maps packs to addresses 2 to 15: bank '\(bank.id)' has \(bank.packs.count) packs; use modules: bank", nil)]
        }
        return []
    }
}

extension PylonRS485Settings: InverterVoltageSource {
    var givenVoltages: InverterVoltages.Given { .init(bank: bank, chargeVoltage: chargeVoltage, dischargeVoltage: dischargeVoltage) }
}
