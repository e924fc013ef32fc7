import Foundation

/// Builds the SunSpec register image of one bank: `SunS`, model 1 (common), model 802
/// (battery base, the bank), one model 804 (lithium-ion string) per pack, the end model.
/// Stale data is never shown as a measurement: an offline pack's string model carries only
/// its index, the communication event and "not implemented"; an offline bank's limits are 0 A.
public enum SunSpecImage {
    /// "SunS".
    public static let marker: [UInt16] = [0x5375, 0x6E53]
    /// Base addresses SunSpec clients probe.
    public static let bases = [40000, 0, 50000]

    /// Everything one bank's image is made from.
    public struct Input: Sendable {
        public var site: String
        public var bank: BankStatus
        /// The bank's packs in bank order.
        public var packs: [PackStatus]
        /// Bank SoC reserve, %, if configured (SoCRsvMin).
        public var reserveSoc: Double?
        /// Battery heartbeat (Hb).
        public var heartbeat: UInt16

        /// An input.
        public init(site: String, bank: BankStatus, packs: [PackStatus], reserveSoc: Double? = nil, heartbeat: UInt16 = 0) {
            self.site = site
            self.bank = bank
            self.packs = packs
            self.reserveSoc = reserveSoc
            self.heartbeat = heartbeat
        }
    }

    /// The registers from the base address on.
    public static func registers(_ input: Input) -> [UInt16] {
        registers(input, strings: input.packs.enumerated().map { string($0.element, index: $0.offset + 1) })
    }

    /// The same with the packs' 804 models already encoded (`string(_:index:)`, in order).
    static func registers(_ input: Input, strings: [[UInt16]], common commonBlock: [UInt16]? = nil) -> [UInt16] {
        var out = marker
        out += commonBlock ?? common(input)
        out += battery(input)
        for s in strings { out += s }
        out += [0xFFFF, 0]
        return out
    }

    static func common(_ input: Input) -> [UInt16] {
        let model = SunSpecModel.common
        return model.encode([
            "Mn": RegisterType.encodeString("bmsgate", registers: 16),
            "Md": RegisterType.encodeString("battery bank \(input.bank.id)", registers: 16),
            "Opt": RegisterType.encodeString(input.site, registers: 8),
            "Vr": RegisterType.encodeString(GatewayVersion.current, registers: 8),
            "SN": RegisterType.encodeString("\(input.site)-\(input.bank.id)", registers: 16),
            "DA": [UInt16(input.bank.unitId)],
        ])
    }

    /// Canonical alarms as the 802/804 Evt1 bits.
    public static func events(_ alarms: [CanonicalAlarm]) -> UInt32 {
        var bits: UInt32 = 0
        for alarm in alarms { bits |= event(alarm).map { 1 << $0 } ?? 0 }
        return bits
    }

    /// The 802/804 Evt1 bit an alarm sets, if any.
    public static func event(_ alarm: CanonicalAlarm) -> Int? {
        switch alarm {
        case .communication: 0
        case .chargeOvertemperature, .dischargeOvertemperature, .mosOvertemperature: 1
        case .chargeUndertemperature, .dischargeUndertemperature: 3
        case .chargeOvercurrent: 5
        case .dischargeOvercurrent, .shortCircuit: 7
        case .cellOvervoltage, .packOvervoltage: 9
        case .cellUndervoltage, .packUndervoltage: 11
        case .lowSoc: 13
        case .cellImbalance: 17
        case .sensorFault, .internalFault, .duplicatePack: nil
        }
    }

    /// Warnings (802 Evt1) from the limit rules that are derating without an alarm.
    static func warnings(_ limits: ChargeLimits, bank: BankStatus) -> UInt32 {
        var bits: UInt32 = 0
        for reason in limits.reasons {
            switch reason.rule {
            case .temperature:
                bits |= reason.detail.hasPrefix("coldest") ? 1 << 4 : 1 << 2
            case .cellTaper: bits |= 1 << 10
            case .reserveSoc: bits |= 1 << 14
            default: break
            }
        }
        return bits
    }

    /// ChaSt: 1 OFF, 2 EMPTY, 3 DISCHARGING, 4 CHARGING, 5 FULL, 6 HOLDING.
    static func chargeStatus(_ bank: BankStatus, packs: [PackStatus], reserve: Double?) -> UInt16? {
        guard bank.state != "offline" else { return nil }
        let online = packs.filter(\.online).compactMap(\.reading)
        if !online.isEmpty && online.allSatisfy({ $0.chargeEnabled == false && $0.dischargeEnabled == false }) { return 1 }
        guard let current = bank.current else { return nil }
        let idle = max(0.2, 0.002 * (bank.fullCapacity ?? 0))
        if current > idle { return 4 }
        if current < -idle { return 3 }
        if let soc = bank.soc, soc >= 99.5 { return 5 }
        if let soc = bank.soc, soc <= max(0.5, reserve ?? 0) { return 2 }
        return 6
    }

    static func battery(_ input: Input) -> [UInt16] {
        let bank = input.bank
        let offline = bank.state == "offline"
        let limits = bank.limits
        var v: [String: [UInt16]] = [:]
        func scaled(_ names: [String], _ values: [Double?], type: RegisterType = .uint16, sf: String, _ preferred: Int, _ coarsest: Int) {
            let exp = ScaleFactor.choose(values, type: type, preferred: preferred, coarsest: coarsest)
            for (name, value) in zip(names, values) { v[name] = ScaleFactor.encode(value, exp, type: type) }
            v[sf] = RegisterType.sunssf.encode(Int64(exp))
        }
        let m = offline ? nil : bank  // measurements only from fresh data
        let capacityWh = m.flatMap { b in b.fullCapacity.flatMap { c in b.voltage.map { c * $0 } } }
        scaled(["AHRtg"], [m?.fullCapacity], sf: "AHRtg_SF", -1, 2)
        scaled(["WHRtg"], [capacityWh], sf: "WHRtg_SF", 0, 4)
        let voltage = m?.voltage ?? limits.chargeVoltage
        scaled(["WChaRteMax", "WDisChaRteMax"], [voltage.map { $0 * limits.chargeCurrent }, voltage.map { $0 * limits.dischargeCurrent }],
               sf: "WChaDisChaMax_SF", 0, 3)
        scaled(["SoC", "SoCRsvMin"], [m?.soc, input.reserveSoc], sf: "SoC_SF", -1, 0)
        scaled(["DoD"], [m?.soc.map { 100 - $0 }], sf: "DoD_SF", -1, 0)
        scaled(["SoH"], [m?.soh], sf: "SoH_SF", -1, 0)
        if let cycles = m?.cycles, cycles >= 0, cycles < 4_294_967_295 { v["NCyc"] = RegisterType.uint32.encode(Int64(cycles)) }
        if let st = chargeStatus(bank, packs: input.packs, reserve: input.reserveSoc) { v["ChaSt"] = [st] }
        v["LocRemCtl"] = [1]  // local: the gateway takes no remote control
        v["Hb"] = [input.heartbeat]
        v["AlmRst"] = [0]
        v["Typ"] = [4]  // lithium-ion
        let state: UInt16 = offline ? 99 : (limits.limited(by: .reserveSoc, .discharge) ? 5 : 3)
        v["State"] = [state]
        v["StateVnd"] = [bank.state == "ok" ? 0 : (offline ? 2 : 1)]
        v["Evt1"] = RegisterType.bitfield32.encode(Int64(events(bank.alarms) | warnings(limits, bank: bank)))
        v["Evt2"] = RegisterType.bitfield32.encode(0)
        v["EvtVnd1"] = RegisterType.bitfield32.encode(Int64(CanonicalAlarm.mask(bank.alarms)))
        v["EvtVnd2"] = RegisterType.bitfield32.encode(Int64(limits.reasonMask))
        scaled(["V", "VMax", "VMin"], [m?.voltage, m?.voltageMax, m?.voltageMin], sf: "V_SF", -2, 0)
        scaled(["CellVMax", "CellVMin", "CellVAvg"], [m?.cellMax?.volts, m?.cellMin?.volts, m?.cellAvg], sf: "CellV_SF", -3, -1)
        if let m {
            if let c = m.cellMax, let i = m.packs.firstIndex(of: c.pack) { v["CellVMaxStr"] = [UInt16(i + 1)]; v["CellVMaxMod"] = [1] }
            if let c = m.cellMin, let i = m.packs.firstIndex(of: c.pack) { v["CellVMinStr"] = [UInt16(i + 1)]; v["CellVMinMod"] = [1] }
        }
        scaled(["A"], [m?.current], type: .int16, sf: "A_SF", -2, 0)
        scaled(["AChaMax", "ADisChaMax"], [limits.chargeCurrent, limits.dischargeCurrent], sf: "AMax_SF", -1, 1)
        scaled(["W"], [m?.power], type: .int16, sf: "W_SF", 0, 3)
        v["ReqInvState"] = [0]
        return SunSpecModel.battery.encode(v)
    }

    static func string(_ pack: PackStatus, index: Int) -> [UInt16] {
        var v: [String: [UInt16]] = ["Idx": [UInt16(index)], "NMod": [1]]
        guard pack.online, let r = pack.reading else {
            v["St"] = RegisterType.bitfield32.encode(0)
            v["Evt1"] = RegisterType.bitfield32.encode(Int64(events([.communication])))
            v["EvtVnd1"] = RegisterType.bitfield32.encode(Int64(CanonicalAlarm.mask([.communication])))
            // Same length as when online: clients cache where each model starts.
            return SunSpecModel.lithiumIonString.encode(v, groups: [[:]])
        }
        var module: [String: [UInt16]] = [:]
        func scaled(_ names: [String], _ values: [Double?], type: RegisterType = .uint16, sf: String, _ preferred: Int, _ coarsest: Int,
                    moduleNames: [String] = [], moduleValues: [Double?] = []) {
            let exp = ScaleFactor.choose(values + moduleValues, type: type, preferred: preferred, coarsest: coarsest)
            for (name, value) in zip(names, values) { v[name] = ScaleFactor.encode(value, exp, type: type) }
            for (name, value) in zip(moduleNames, moduleValues) { module[name] = ScaleFactor.encode(value, exp, type: type) }
            v[sf] = RegisterType.sunssf.encode(Int64(exp))
        }
        let closed = r.chargeEnabled != false || r.dischargeEnabled != false
        v["St"] = RegisterType.bitfield32.encode(closed ? 0b11 : 0b01)
        v["ConFail"] = [0]
        v["NCellBal"] = [UInt16(min(r.balancing.count, 65534))]
        scaled(["SoC"], [r.soc], sf: "SoC_SF", -1, 0, moduleNames: ["ModSoC"], moduleValues: [r.soc])
        scaled(["DoD"], [r.soc.map { 100 - $0 }], sf: "DoD_SF", -1, 0)
        scaled(["SoH"], [r.soh], sf: "SoH_SF", -1, 0, moduleNames: ["ModSoH"], moduleValues: [r.soh])
        if let cycles = r.cycles, cycles >= 0, cycles < 4_294_967_295 { v["NCyc"] = RegisterType.uint32.encode(Int64(cycles)) }
        scaled(["A"], [r.current], type: .int16, sf: "A_SF", -2, 0)
        scaled(["V"], [r.voltage], sf: "V_SF", -2, 0)
        scaled(["CellVMax", "CellVMin", "CellVAvg"], [r.cellMax, r.cellMin, r.cellAvg], sf: "CellV_SF", -3, -1,
               moduleNames: ["ModCellVMax", "ModCellVMin", "ModCellVAvg"], moduleValues: [r.cellMax, r.cellMin, r.cellAvg])
        if !r.cells.isEmpty {
            v["CellVMaxMod"] = [1]
            v["CellVMinMod"] = [1]
            module["ModNCell"] = [UInt16(min(r.cells.count, 65534))]
            if let hi = r.cellMax, let i = r.cells.firstIndex(of: hi) { module["ModCellVMaxCell"] = [UInt16(i + 1)] }
            if let lo = r.cellMin, let i = r.cells.firstIndex(of: lo) { module["ModCellVMinCell"] = [UInt16(i + 1)] }
        }
        let temps = r.temperatures
        let tMax = temps.max(), tMin = temps.min()
        let tAvg = temps.isEmpty ? nil : temps.reduce(0, +) / Double(temps.count)
        scaled(["ModTmpMax", "ModTmpMin", "ModTmpAvg"], [tMax, tMin, tAvg], type: .int16, sf: "ModTmp_SF", -1, 1,
               moduleNames: ["ModCellTmpMax", "ModCellTmpMin", "ModCellTmpAvg"], moduleValues: [tMax, tMin, tAvg])
        if !temps.isEmpty {
            v["ModTmpMaxMod"] = [1]
            v["ModTmpMinMod"] = [1]
        }
        v["Evt1"] = RegisterType.bitfield32.encode(Int64(events(r.alarms)))
        v["Evt2"] = RegisterType.bitfield32.encode(0)
        v["EvtVnd1"] = RegisterType.bitfield32.encode(Int64(CanonicalAlarm.mask(r.alarms)))
        v["EvtVnd2"] = RegisterType.bitfield32.encode(0)
        return SunSpecModel.lithiumIonString.encode(v, groups: [module])
    }
}
