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
        let commonRegs = commonBlock ?? common(input)
        let batteryRegs = battery(input)
        var out: [UInt16] = []
        out.reserveCapacity(marker.count + commonRegs.count + batteryRegs.count + strings.reduce(2) { $0 + $1.count })
        out += marker
        out += commonRegs
        out += batteryRegs
        for s in strings { out += s }
        out += [0xFFFF, 0]
        return out
    }

    static func common(_ input: Input) -> [UInt16] {
        let c = CommonSlots.shared
        var m = SunSpecModelRegisters(c.layout)
        m.set(c.mn, text: "bmsgate")
        m.set(c.md, text: "battery bank \(input.bank.id)")
        m.set(c.opt, text: input.site)
        m.set(c.vr, text: GatewayVersion.current)
        m.set(c.sn, text: "\(input.site)-\(input.bank.id)")
        m.set(c.da, Int64(UInt16(truncatingIfNeeded: input.bank.unitId)))
        return m.registers
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
        guard bank.state != .offline else { return nil }
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
        let offline = bank.state == .offline
        let limits = bank.command.limits
        let b = BatterySlots.shared
        var v = SunSpecModelRegisters(b.layout)
        let m = offline ? nil : bank  // measurements only from fresh data
        let capacityWh = m.flatMap { b in b.fullCapacity.flatMap { c in b.voltage.map { c * $0 } } }
        v.scaled((b.ahRtg, m?.fullCapacity), sf: b.ahRtgSF, -1, 2)
        v.scaled((b.whRtg, capacityWh), sf: b.whRtgSF, 0, 4)
        let voltage = m?.voltage ?? limits.chargeVoltage
        v.scaled((b.wChaRteMax, voltage.map { $0 * limits.chargeCurrent }), (b.wDisChaRteMax, voltage.map { $0 * limits.dischargeCurrent }),
                 sf: b.wChaDisChaMaxSF, 0, 3)
        v.scaled((b.soc, m?.soc), (b.socRsvMin, input.reserveSoc), sf: b.socSF, -1, 0)
        v.scaled((b.dod, m?.soc.map { 100 - $0 }), sf: b.dodSF, -1, 0)
        v.scaled((b.soh, m?.soh), sf: b.sohSF, -1, 0)
        if let cycles = m?.cycles, cycles >= 0, cycles < 4_294_967_295 { v.set(b.nCyc, Int64(cycles)) }
        if let st = chargeStatus(bank, packs: input.packs, reserve: input.reserveSoc) { v.set(b.chaSt, Int64(st)) }
        v.set(b.locRemCtl, 1)  // local: the gateway takes no remote control
        v.set(b.hb, Int64(input.heartbeat))
        v.set(b.almRst, 0)
        v.set(b.typ, 4)  // lithium-ion
        v.set(b.state, offline ? 99 : (limits.limited(by: .reserveSoc, .discharge) ? 5 : 3))
        v.set(b.stateVnd, Int64(bank.state.modbusCode))
        v.set(b.evt1, Int64(events(bank.alarms) | warnings(limits, bank: bank)))
        v.set(b.evt2, 0)
        v.set(b.evtVnd1, Int64(CanonicalAlarm.mask(bank.alarms)))
        v.set(b.evtVnd2, Int64(limits.reasonMask))
        v.scaled((b.v, m?.voltage), (b.vMax, m?.voltageMax), (b.vMin, m?.voltageMin), sf: b.vSF, -2, 0)
        v.scaled((b.cellVMax, m?.cellMax?.volts), (b.cellVMin, m?.cellMin?.volts), (b.cellVAvg, m?.cellAvg), sf: b.cellVSF, -3, -1)
        if let m {
            if let c = m.cellMax, let i = m.packs.firstIndex(of: c.pack) { v.set(b.cellVMaxStr, Int64(i + 1)); v.set(b.cellVMaxMod, 1) }
            if let c = m.cellMin, let i = m.packs.firstIndex(of: c.pack) { v.set(b.cellVMinStr, Int64(i + 1)); v.set(b.cellVMinMod, 1) }
        }
        v.scaled((b.a, m?.current), sf: b.aSF, -2, 0)
        v.scaled((b.aChaMax, limits.chargeCurrent), (b.aDisChaMax, limits.dischargeCurrent), sf: b.aMaxSF, -1, 1)
        v.scaled((b.w, m?.power), sf: b.wSF, 0, 3)
        v.set(b.reqInvState, 0)
        return v.registers
    }

    static func string(_ pack: PackStatus, index: Int) -> [UInt16] {
        let s = StringSlots.shared
        var v = SunSpecModelRegisters(s.layout)
        v.set(s.idx, Int64(UInt16(truncatingIfNeeded: index)))
        v.set(s.nMod, 1)
        guard pack.online, let r = pack.reading else {
            v.set(s.st, 0)
            v.set(s.evt1, Int64(events([.communication])))
            v.set(s.evtVnd1, Int64(CanonicalAlarm.mask([.communication])))
            // Same length as when online: clients cache where each model starts.
            return v.registers
        }
        let closed = r.chargeEnabled != false || r.dischargeEnabled != false
        v.set(s.st, closed ? 0b11 : 0b01)
        v.set(s.conFail, 0)
        v.set(s.nCellBal, Int64(min(r.balancing.count, 65534)))
        v.scaled((s.soc, r.soc), (s.modSoc, r.soc), sf: s.socSF, -1, 0)
        v.scaled((s.dod, r.soc.map { 100 - $0 }), sf: s.dodSF, -1, 0)
        v.scaled((s.soh, r.soh), (s.modSoh, r.soh), sf: s.sohSF, -1, 0)
        if let cycles = r.cycles, cycles >= 0, cycles < 4_294_967_295 { v.set(s.nCyc, Int64(cycles)) }
        v.scaled((s.a, r.current), sf: s.aSF, -2, 0)
        v.scaled((s.v, r.voltage), sf: s.vSF, -2, 0)
        v.scaled((s.cellVMax, r.cellMax), (s.cellVMin, r.cellMin), (s.cellVAvg, r.cellAvg),
                 (s.modCellVMax, r.cellMax), (s.modCellVMin, r.cellMin), (s.modCellVAvg, r.cellAvg), sf: s.cellVSF, -3, -1)
        if !r.cells.isEmpty {
            v.set(s.cellVMaxMod, 1)
            v.set(s.cellVMinMod, 1)
            v.set(s.modNCell, Int64(min(r.cells.count, 65534)))
            if let hi = r.cellMax, let i = r.cells.firstIndex(of: hi) { v.set(s.modCellVMaxCell, Int64(i + 1)) }
            if let lo = r.cellMin, let i = r.cells.firstIndex(of: lo) { v.set(s.modCellVMinCell, Int64(i + 1)) }
        }
        let temps = r.temperatures
        let tMax = temps.max(), tMin = temps.min()
        let tAvg = temps.isEmpty ? nil : temps.reduce(0, +) / Double(temps.count)
        v.scaled((s.modTmpMax, tMax), (s.modTmpMin, tMin), (s.modTmpAvg, tAvg),
                 (s.modCellTmpMax, tMax), (s.modCellTmpMin, tMin), (s.modCellTmpAvg, tAvg), sf: s.modTmpSF, -1, 1)
        if !temps.isEmpty {
            v.set(s.modTmpMaxMod, 1)
            v.set(s.modTmpMinMod, 1)
        }
        v.set(s.evt1, Int64(events(r.alarms)))
        v.set(s.evt2, 0)
        v.set(s.evtVnd1, Int64(CanonicalAlarm.mask(r.alarms)))
        v.set(s.evtVnd2, 0)
        return v.registers
    }
}
