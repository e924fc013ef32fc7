extension CANSinkSettings: SinkSettings {
    /// The inverter on the CAN link gets this bank's limits.
    public func inverterBanks(in site: SiteConfig) -> [String]? { [bank] }

    public static let type = "can"

    static let keys = ["bank", "profile", "interface", "device", "baud", "bitrate", "period", "discharge_voltage", "charge_voltage",
                       "quirks", "manufacturer", "name", "inverter_timeout"]

    static let registration = SinkRegistration(CANSinkSettings.self, keys: keys) { section, d in
        let bank = section.string("bank", required: true)
        let interface = section.string("interface"), device = section.string("device")
        var link: Link?
        switch (interface, device) {
        case (let i?, nil): link = .interface(i)
        case (nil, "sim"): link = .simulated
        case (nil, let dev?): link = .device(dev, baud: section.int("baud", in: 300...4_000_000) ?? 115_200)
        case (.some, .some): d.report(section.value("device"), "give the can sink either interface (SocketCAN, e.g. can0) or device (an SLCAN adapter, e.g. /dev/ttyACM0), not both")
        case (nil, nil): d.report(section.node, "the can sink needs interface: (SocketCAN, e.g. can0) or device: (an SLCAN adapter, e.g. /dev/ttyACM0; sim for a simulated inverter)")
        }
        let dvl = section.number("discharge_voltage", in: 1...1000)
        var profile = CANProfile.pylon
        if let v = section.value("profile") {
            if let text = v.string, let p = CANProfile(rawValue: text) { profile = p } else {
                d.report(v, "'profile' of the can sink must be one of \(CANProfile.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        guard let bank, let link else { return nil }
        var s = CANSinkSettings(bank: bank, link: link, dischargeVoltage: dvl)
        s.profile = profile
        if let v = section.int("bitrate", in: 10_000...1_000_000) {
            if SLCAN.bitrates[v] != nil { s.bitrate = v } else {
                d.report(section.value("bitrate"), "'bitrate' of the can sink must be one of \(SLCAN.bitrates.keys.sorted().map(String.init).joined(separator: ", ")) (500000 for inverters)")
            }
        }
        if let p = section.duration("period", minimum: .milliseconds(100)) {
            if p > .seconds(10) { d.report(section.value("period"), "'period' of the can sink must be at most 10s: inverters fault without frames") } else { s.period = p }
        }
        s.chargeVoltage = section.number("charge_voltage", in: 1...1000)
        for (text, node) in section.stringList("quirks") ?? [] {
            if let q = CANQuirk(rawValue: text) { s.quirks.append(q) } else {
                d.report(node, "unknown quirk '\(text)' (known: \(CANQuirk.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
        }
        if let m = section.string("manufacturer") {
            if m.utf8.count > 8 || !m.allSatisfy(\.isASCII) { d.report(section.value("manufacturer"), "'manufacturer' is sent as 8 ASCII characters: '\(m)' does not fit") } else { s.manufacturer = m }
        }
        if let n = section.string("name") {
            if n.utf8.count > 16 || !n.allSatisfy(\.isASCII) { d.report(section.value("name"), "'name' is sent as 16 ASCII characters: '\(n)' does not fit") } else { s.name = n }
        }
        s.inverterTimeout = section.duration("inverter_timeout", minimum: .seconds(1)) ?? s.inverterTimeout
        return s
    } make: { s, c in
        guard let bank = c.config.banks.first(where: { $0.id == s.bank }) else { throw TransportError("no bank '\(s.bank)'") }
        return try CANSink(settings: s, bank: bank, logger: c.logger, clock: c.clock)
    }

    public func problems(in site: SiteConfig) -> [(message: String, at: SourceLocation?)] {
        guard let bank = site.banks.first(where: { $0.id == self.bank }) else {
            let known = site.banks.map(\.id)
            return [("the can sink speaks for bank '\(self.bank)', which is not defined" + (known.isEmpty ? " (add one under 'banks:')" : " (banks: \(known.joined(separator: ", ")))"), nil)]
        }
        var out: [(message: String, at: SourceLocation?)] = []
        if bank.limits.chargeVoltage == nil && bank.inverter.chargeVoltage == nil {
            out.append(("the can sink needs a charge voltage limit: set limits: {charge_voltage: ...} on bank '\(bank.id)' or charge_voltage: on the sink", nil))
        }
        if profile != .pylon && bank.inverter.dischargeVoltage == nil {
            out.append(("the \(profile.rawValue) profile needs a discharge voltage, the inverter's low cut-off (e.g. 48.0 for a 16-cell LFP bank): set limits: {discharge_voltage: ...} on bank '\(bank.id)' or discharge_voltage: on the sink", nil))
        }
        return out
    }
}

extension CANSinkSettings: InverterVoltageSource {
    var givenVoltages: InverterVoltages.Given { .init(bank: bank, chargeVoltage: chargeVoltage, dischargeVoltage: dischargeVoltage) }
}
