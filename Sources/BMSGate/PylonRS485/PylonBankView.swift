import PylonCodec

/// The bank as Pylontech modules, built from a snapshot: what every answer of the
/// pylon-rs485 sink is taken from.
struct PylonBankView: Sendable {
    struct Module: Sendable {
        var address: UInt8
        var values: PylonModuleValues
        var alarms: PylonAlarms
        var management: PylonManagement
        var serial: String
        var firmware: String
    }

    var modules: [Module]
    var parameters: PylonSystemParameters
    /// The whole bank for the V3.5 system commands (0x61, 0x63): the bank's full limits.
    var system: PylonSystemAnalog
    var systemManagement: PylonManagement
    var systemAlarms = PylonSystemAlarms()

    init(modules: [Module], parameters: PylonSystemParameters, system: PylonSystemAnalog, systemManagement: PylonManagement) {
        self.modules = modules
        self.parameters = parameters
        self.system = system
        self.systemManagement = systemManagement
    }

    static let noTemperatures = PylonSystemAnalog.Temperatures(average: 0, max: 0, maxModule: 0, min: 0, minModule: 0)

    /// 0x61 from the modules.
    static func system(_ modules: [Module], bank: BankStatus?) -> PylonSystemAnalog {
        let live = modules.filter { !$0.values.cells.isEmpty }
        func extreme(_ values: [(Double, Int)]) -> PylonSystemAnalog.Temperatures {
            guard let hi = values.max(by: { $0.0 < $1.0 }), let lo = values.min(by: { $0.0 < $1.0 }) else { return noTemperatures }
            return .init(average: values.map(\.0).reduce(0, +) / Double(values.count), max: hi.0, maxModule: hi.1, min: lo.0, minModule: lo.1)
        }
        let cells = live.flatMap { m in m.values.cells.map { ($0, Int(m.address)) } }
        let cellTemps = live.flatMap { m in m.values.temperatures.dropFirst().map { ($0, Int(m.address)) } }
        let boards = live.compactMap { m in m.values.temperatures.first.map { ($0, Int(m.address)) } }
        let cycles = live.map(\.values.cycles)
        return PylonSystemAnalog(
            voltage: bank?.voltage ?? 0, current: bank?.current ?? 0, soc: bank?.soc ?? 0,
            cyclesAverage: cycles.isEmpty ? 0 : cycles.reduce(0, +) / cycles.count, cyclesMax: cycles.max() ?? 0,
            sohAverage: bank?.soh ?? 100, sohMin: bank?.soh ?? 100,
            cellMax: cells.max(by: { $0.0 < $1.0 })?.0 ?? 0, cellMaxModule: cells.max(by: { $0.0 < $1.0 })?.1 ?? 0,
            cellMin: cells.min(by: { $0.0 < $1.0 })?.0 ?? 0, cellMinModule: cells.min(by: { $0.0 < $1.0 })?.1 ?? 0,
            cellTemperatures: extreme(cellTemps), mosfetTemperatures: extreme(boards), bmsTemperatures: extreme(boards))
    }

    /// The first module address (the master of a Pylontech stack).
    static let firstAddress: UInt8 = 2

    /// A view with no data: one module per pack (or one for the bank), saying `command`
    /// (the no-data or gateway-stalled command: 0 A, nothing enabled, a system error).
    static func empty(command: InverterCommand, settings: PylonRS485Settings, bank: BankConfig) -> PylonBankView {
        let count = settings.modules == .bank ? 1 : bank.packs.count
        let management = PylonManagement(chargeVoltage: command.chargeVoltage, dischargeVoltage: command.dischargeVoltage, chargeCurrent: 0,
                                          dischargeCurrent: 0, chargeEnabled: false, dischargeEnabled: false)
        let modules = (0..<count).map { i in
            Module(address: firstAddress + UInt8(i),
                   values: PylonModuleValues(cells: [], temperatures: [], current: 0, voltage: 0, remainingCapacity: 0, totalCapacity: 0, cycles: 0),
                   alarms: PylonAlarms(cells: 0, temperatures: 0), management: management, serial: "", firmware: "")
        }
        var view = PylonBankView(modules: modules, parameters: parameters(cvl: command.chargeVoltage, dvl: command.dischargeVoltage, cells: 16, bank: bank),
                                 system: system(modules, bank: nil), systemManagement: management)
        view.systemAlarms = systemAlarms(command.alarms)
        return view
    }

    /// The bank from its `command` (what every link says), `status` and its `packs`. The
    /// limits are the command's. With one module per pack, each online pack's module
    /// carries an equal share of them (bank limit / online packs) and a module says 0 A in a
    /// direction it cannot serve (its pack is offline, or its BMS switched that direction
    /// off), so the modules' limits always add up to at most the bank's, whatever the
    /// failsafe mode: an inverter that adds them never gets more than the bank allows.
    init(command: InverterCommand, bank status: BankStatus, packs: [PackStatus], settings: PylonRS485Settings, config: BankConfig) {
        let cvl = command.chargeVoltage, dvl = command.dischargeVoltage
        let cellCount = packs.compactMap { $0.reading?.cells.count }.max() ?? 16
        let online = packs.filter { status.onlinePacks.contains($0.id) }
        let share = settings.modules == .bank ? 1 : max(1, online.count)
        func management(_ enabledCharge: Bool, _ enabledDischarge: Bool) -> PylonManagement {
            let ccl = enabledCharge && command.chargeEnabled ? Self.share(command.chargeCurrent, of: share) : 0
            let dcl = enabledDischarge && command.dischargeEnabled ? Self.share(command.dischargeCurrent, of: share) : 0
            return PylonManagement(chargeVoltage: cvl, dischargeVoltage: dvl, chargeCurrent: ccl, dischargeCurrent: dcl,
                                   chargeEnabled: ccl > 0, dischargeEnabled: dcl > 0)
        }
        switch settings.modules {
        case .bank:
            let worst = packs.first { $0.id == status.cellMin?.pack }?.reading ?? online.first?.reading
            let values = PylonModuleValues(
                cells: worst?.cells ?? [], temperatures: Self.temperatures(worst),
                current: status.current ?? 0, voltage: status.voltage ?? 0, remainingCapacity: status.remainingCapacity ?? 0,
                totalCapacity: status.fullCapacity ?? 0, cycles: Int(online.compactMap { $0.reading?.cycles }.max() ?? 0))
            modules = [Module(address: Self.firstAddress, values: values,
                              alarms: Self.alarms(Set(status.alarms), cells: worst?.cells ?? [], temperatures: values.temperatures.count,
                                                  charging: management(true, true)),
                              management: management(true, true), serial: "", firmware: "")]
        case .packs:
            modules = packs.enumerated().map { i, pack in
                let r = status.onlinePacks.contains(pack.id) ? pack.reading : nil
                let values = PylonModuleValues(
                    cells: r?.cells ?? [], temperatures: Self.temperatures(r), current: r?.current ?? 0, voltage: r?.voltage ?? 0,
                    remainingCapacity: r?.remainingCapacity ?? 0, totalCapacity: r?.fullCapacity ?? 0, cycles: Int(r?.cycles ?? 0))
                let m = r == nil ? management(false, false) : management(r?.chargeEnabled != false, r?.dischargeEnabled != false)
                return Module(address: Self.firstAddress + UInt8(i), values: values,
                              alarms: Self.alarms(Set(r?.alarms ?? []), cells: r?.cells ?? [], temperatures: values.temperatures.count, charging: m),
                              management: m, serial: r?.identity.serial ?? "", firmware: r?.identity.firmware ?? "")
            }
        }
        parameters = Self.parameters(cvl: cvl, dvl: dvl, cells: cellCount, bank: config)
        system = Self.system(modules, bank: status)
        systemAlarms = Self.systemAlarms(command.alarms)
        systemManagement = PylonManagement(chargeVoltage: cvl, dischargeVoltage: dvl, chargeCurrent: command.chargeCurrent,
                                           dischargeCurrent: command.dischargeCurrent,
                                           chargeEnabled: command.chargeEnabled, dischargeEnabled: command.dischargeEnabled)
    }

    /// `limit` / `parts`, rounded down to the 0.1 A that 0x92 carries: the parts never add
    /// up to more than the limit (100 A over 6 modules is 16.6 A each, not 16.7).
    static func share(_ limit: Double, of parts: Int) -> Double {
        guard limit > 0, parts > 0 else { return 0 }
        return ((limit / Double(parts) * 10 * 1e6).rounded() / 1e6).rounded(.down) / 10
    }

    /// 0x62 from the command's alarms: protections by kind, the alarm table's warnings (cell
    /// imbalance) as warnings, a lost pack (communication) as a warning too, and the table's
    /// system error (no data, a stall, a fault, a lost or duplicated pack) in its bit.
    static func systemAlarms(_ alarms: InverterAlarms) -> PylonSystemAlarms {
        var s = PylonSystemAlarms()
        let a = alarms.active
        if a.contains(.cellImbalance) { s.warning1 |= 0x01 }
        if a.contains(.communication) { s.warning2 |= 0x10 }
        if a.contains(.packOvervoltage) { s.protection1 |= 0x80 }
        if a.contains(.packUndervoltage) { s.protection1 |= 0x40 }
        if a.contains(.cellOvervoltage) { s.protection1 |= 0x20 }
        if a.contains(.cellUndervoltage) { s.protection1 |= 0x10 }
        if alarms.any([.chargeOvertemperature, .dischargeOvertemperature, .mosOvertemperature]) { s.protection1 |= 0x08 }
        if alarms.any([.chargeUndertemperature, .dischargeUndertemperature]) { s.protection1 |= 0x04 }
        if a.contains(.chargeOvercurrent) { s.protection2 |= 0x40 }
        if alarms.any([.dischargeOvercurrent, .shortCircuit]) { s.protection2 |= 0x20 }
        if alarms.systemError { s.protection2 |= 0x08 }
        return s
    }

    /// The BMS board's temperature first (MOSFET, else the highest cell probe), then the probes.
    static func temperatures(_ r: Reading?) -> [Double] {
        guard let r, !r.temperatures.isEmpty || r.mosTemperature != nil else { return [] }
        return [r.mosTemperature ?? r.temperatures.max() ?? 0] + r.temperatures
    }

    static func alarms(_ a: Set<CanonicalAlarm>, cells: [Double], temperatures: Int, charging: PylonManagement) -> PylonAlarms {
        var out = PylonAlarms(cells: cells.count, temperatures: temperatures)
        if let hi = cells.indices.max(by: { cells[$0] < cells[$1] }), a.contains(.cellOvervoltage) { out.cells[hi] = .aboveUpper }
        if let lo = cells.indices.min(by: { cells[$0] < cells[$1] }), a.contains(.cellUndervoltage) { out.cells[lo] = .belowLower }
        if !a.isDisjoint(with: [.chargeOvertemperature, .dischargeOvertemperature, .mosOvertemperature]) {
            for i in out.temperatures.indices { out.temperatures[i] = .aboveUpper }
        } else if !a.isDisjoint(with: [.chargeUndertemperature, .dischargeUndertemperature]) {
            for i in out.temperatures.indices { out.temperatures[i] = .belowLower }
        }
        if a.contains(.chargeOvercurrent) { out.chargeCurrent = .aboveUpper }
        if !a.isDisjoint(with: [.dischargeOvercurrent, .shortCircuit]) { out.dischargeCurrent = .aboveUpper }
        if a.contains(.packOvervoltage) { out.moduleVoltage = .aboveUpper } else if a.contains(.packUndervoltage) { out.moduleVoltage = .belowLower }
        var s1: UInt8 = 0
        if a.contains(.packUndervoltage) { s1 |= 0x80 }
        if a.contains(.chargeOvertemperature) { s1 |= 0x40 }
        if a.contains(.dischargeOvertemperature) { s1 |= 0x20 }
        if a.contains(.dischargeOvercurrent) { s1 |= 0x10 }
        if a.contains(.chargeOvercurrent) { s1 |= 0x04 }
        if a.contains(.cellUndervoltage) { s1 |= 0x02 }
        if a.contains(.packOvervoltage) || a.contains(.cellOvervoltage) { s1 |= 0x01 }
        // Status 2: bit 2 discharge MOSFET, bit 1 charge MOSFET (both implementations of the
        // V3.5 alarm layout agree; bit 0 is the pre-charge MOSFET).
        out.status = [s1, (charging.dischargeEnabled ? 0x04 : 0) | (charging.chargeEnabled ? 0x02 : 0), 0, 0, 0]
        return out
    }

    static func parameters(cvl: Double, dvl: Double, cells: Int, bank: BankConfig) -> PylonSystemParameters {
        let n = Double(max(1, cells))
        let t = bank.limits.chargeTemperature, d = bank.limits.dischargeTemperature
        return PylonSystemParameters(
            cellHighVoltage: bank.limits.cellVoltageMax ?? cvl / n, cellLowVoltage: dvl / n, cellUnderVoltage: dvl / n - 0.1,
            chargeHighTemperature: t?.max ?? 45, chargeLowTemperature: t?.min ?? 0, chargeCurrent: bank.limits.chargeCurrent ?? 0,
            moduleHighVoltage: cvl, moduleLowVoltage: dvl, moduleUnderVoltage: dvl - 0.1 * n,
            dischargeHighTemperature: d?.max ?? 60, dischargeLowTemperature: d?.min ?? -20, dischargeCurrent: bank.limits.dischargeCurrent ?? 0)
    }
}
