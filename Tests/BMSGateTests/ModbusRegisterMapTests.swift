import Foundation
import Testing

@testable import BMSGate

/// Register images built from a known bank: every SunSpec point and simple-map field at its
/// address, stale data never shown as a measurement, the document in step with the code.
@Suite struct ModbusRegisterMapTests {
    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    static func reading(_ id: String) -> Reading {
        var r = Reading(pack: id, driver: "basen", time: now.addingTimeInterval(-2))
        r.voltage = 53.12
        r.current = -12.34
        r.power = -655.5
        r.soc = 72.5
        r.soh = 98
        r.remainingCapacity = 203.1
        r.fullCapacity = 280
        r.cycles = 102
        r.cells = [3.321, 3.318, 3.331, 3.305]
        r.temperatures = [21, -4.5]
        r.mosTemperature = 30
        r.balancing = [3]
        r.chargeEnabled = true
        r.dischargeEnabled = true
        r.alarms = [.cellImbalance]
        return r
    }

    static func statuses(secondOnline: Bool) -> [PackStatus] {
        ["p1", "p2"].map { id in
            PackStatus(id: id, driver: "basen", bus: "lab", address: id, online: id == "p1" || secondOnline,
                       reading: reading(id), lastError: nil, lastPollTime: now, counters: PackCounters(), sequence: 1)
        }
    }

    static func bank(secondOnline: Bool = true, firstOnline: Bool = true) -> (BankStatus, [PackStatus]) {
        var packs = statuses(secondOnline: secondOnline)
        packs[0].online = firstOnline
        var config = BankConfig(id: "main", packs: ["p1", "p2"], unitId: 3, location: SourceLocation(file: "t", line: 1, column: 1))
        config.limits.chargeCurrent = 100
        config.limits.dischargeCurrent = 150
        config.limits.chargeVoltage = 55.2
        return (BankStatus.aggregate(config, statuses: packs), packs)
    }

    /// Reads a point of model `id` (the `n`th of that id) from a SunSpec image at base 0.
    struct SunSpecReader {
        var regs: [UInt16]
        func model(_ id: UInt16, _ n: Int = 0) -> Int {
            var at = 2, seen = 0
            while at < regs.count, regs[at] != 0xFFFF {
                if regs[at] == id {
                    if seen == n { return at }
                    seen += 1
                }
                at += 2 + Int(regs[at + 1])
            }
            Issue.record("model \(id) #\(n) not found")
            return 0
        }
        func u16(_ m: SunSpecModel, _ point: String, n: Int = 0) -> UInt16 { regs[model(m.id, n) + m.offset(of: point)!] }
        func u32(_ m: SunSpecModel, _ point: String, n: Int = 0) -> UInt32 {
            let at = model(m.id, n) + m.offset(of: point)!
            return UInt32(regs[at]) << 16 | UInt32(regs[at + 1])
        }
        func value(_ m: SunSpecModel, _ point: String, n: Int = 0, signed: Bool = false) -> Double? {
            let raw = u16(m, point, n: n)
            if raw == (signed ? 0x8000 : 0xFFFF) { return nil }
            let sf = Int(Int16(bitPattern: u16(m, m.points.first { $0.name == point }!.scaleFactor!, n: n)))
            return Double(signed ? Int(Int16(bitPattern: raw)) : Int(raw)) * pow(10, Double(sf))
        }
        func text(_ m: SunSpecModel, _ point: String, _ count: Int) -> String {
            let at = model(m.id) + m.offset(of: point)!
            let bytes = regs[at..<(at + count)].flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
            return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tolerance
    }

    @Test func registerTypesEncodeAndMarkUnimplemented() {
        #expect(RegisterType.uint32.encode(0x0001_0002) == [1, 2])
        #expect(RegisterType.int32.encode(-2) == [0xFFFF, 0xFFFE])
        #expect(RegisterType.int16.encode(-1) == [0xFFFF])
        #expect(RegisterType.int32.unimplemented == [0x8000, 0])
        #expect(ScaleFactor.encode(nil, -2, type: .uint16) == [0xFFFF])
        #expect(ScaleFactor.encode(.nan, -2, type: .int16) == [0x8000])
        #expect(ScaleFactor.encode(-0.5, 0, type: .uint16) == [0xFFFF])  // negative in an unsigned point
        #expect(ScaleFactor.encode(53.125, -2, type: .uint16) == [5313])
        #expect(ScaleFactor.encode(-12.34, -2, type: .int16) == [UInt16(bitPattern: -1234)])
        #expect(ScaleFactor.choose([53.12, 700.0], type: .uint16, preferred: -2, coarsest: 0) == -1)
        #expect(ScaleFactor.choose([400.0], type: .int16, preferred: -2, coarsest: 0) == -1)
        #expect(ScaleFactor.choose([nil], type: .int16, preferred: -2, coarsest: 0) == -2)
        #expect(RegisterType.encodeString("SunS", registers: 2) == [0x5375, 0x6E53])
        #expect(RegisterType.encodeString("héllo", registers: 1) == [0x6800])  // é (2 bytes) does not fit: never half a character
    }

    @Test func sunspecImageCarriesEveryValue() {
        let (bank, packs) = Self.bank()
        let regs = SunSpecImage.registers(.init(site: "home", bank: bank, packs: packs, reserveSoc: 10, heartbeat: 42))
        let r = SunSpecReader(regs: regs)
        #expect(Array(regs[0..<2]) == SunSpecImage.marker)
        // Model 1.
        #expect(regs[2] == 1 && regs[3] == 66)
        #expect(r.text(.common, "Mn", 16) == "bmsgate")
        #expect(r.text(.common, "Md", 16) == "battery bank main")
        #expect(r.text(.common, "Opt", 8) == "home")
        #expect(r.text(.common, "Vr", 8) == GatewayVersion.current)
        #expect(r.text(.common, "SN", 16) == "home-main")
        #expect(r.u16(.common, "DA") == 3)
        // Model 802 right after it.
        let b = SunSpecModel.battery
        #expect(r.model(802) == 2 + 68)
        #expect(regs[r.model(802) + 1] == UInt16(b.fixedLength))
        #expect(close(r.value(b, "AHRtg"), 560))
        #expect(close(r.value(b, "WHRtg"), 29747))  // 560 Ah x 53.12 V = 29747.2
        #expect(close(r.value(b, "WChaRteMax"), 5312))  // 100 A x 53.12 V
        #expect(close(r.value(b, "WDisChaRteMax"), 7968))
        #expect(close(r.value(b, "SoC"), 72.5, 1e-9))
        #expect(close(r.value(b, "SoCRsvMin"), 10))
        #expect(close(r.value(b, "DoD"), 27.5))
        #expect(close(r.value(b, "SoH"), 98))
        #expect(r.u32(b, "NCyc") == 102)
        #expect(r.u16(b, "ChaSt") == 3)  // discharging
        #expect(r.u16(b, "LocRemCtl") == 1)
        #expect(r.u16(b, "Hb") == 42)
        #expect(r.u16(b, "AlmRst") == 0)
        #expect(r.u16(b, "Typ") == 4)
        #expect(r.u16(b, "State") == 3)
        #expect(r.u16(b, "StateVnd") == 0)
        #expect(r.u32(b, "Evt1") == 1 << 17)  // cell_imbalance -> VOLTAGE_IMBALANCE_WARNING
        #expect(r.u32(b, "EvtVnd1") == 1 << 12)
        #expect(r.u32(b, "EvtVnd2") == 0)
        #expect(close(r.value(b, "V"), 53.12))
        #expect(close(r.value(b, "VMax"), 53.12))
        #expect(close(r.value(b, "VMin"), 53.12))
        #expect(close(r.value(b, "CellVMax"), 3.331, 1e-9))
        #expect(r.u16(b, "CellVMaxStr") == 1 && r.u16(b, "CellVMaxMod") == 1)
        #expect(close(r.value(b, "CellVMin"), 3.305, 1e-9))
        #expect(r.u16(b, "CellVMinStr") == 1)
        #expect(close(r.value(b, "CellVAvg"), 3.31875, 0.0005))
        #expect(close(r.value(b, "A", signed: true), -24.68, 1e-9))
        #expect(close(r.value(b, "AChaMax"), 100))
        #expect(close(r.value(b, "ADisChaMax"), 150))
        #expect(close(r.value(b, "W", signed: true), -1311))
        #expect(r.u16(b, "ReqW") == 0x8000 && r.u16(b, "CtrlHb") == 0xFFFF)
        #expect(Int16(bitPattern: r.u16(b, "V_SF")) == -2 && Int16(bitPattern: r.u16(b, "CellV_SF")) == -3)
        #expect(Int16(bitPattern: r.u16(b, "A_SF")) == -2 && Int16(bitPattern: r.u16(b, "AMax_SF")) == -1)
        // Two 804s with one module each, then the end model.
        let s = SunSpecModel.lithiumIonString
        for n in 0..<2 {
            #expect(regs[r.model(804, n) + 1] == UInt16(s.fixedLength + s.repeatLength))
            #expect(r.u16(s, "Idx", n: n) == UInt16(n + 1))
            #expect(r.u16(s, "NMod", n: n) == 1)
            #expect(r.u32(s, "St", n: n) == 3)
            #expect(r.u16(s, "NCellBal", n: n) == 1)
            #expect(close(r.value(s, "SoC", n: n), 72.5))
            #expect(close(r.value(s, "SoH", n: n), 98))
            #expect(r.u32(s, "NCyc", n: n) == 102)
            #expect(close(r.value(s, "A", n: n, signed: true), -12.34, 1e-9))
            #expect(close(r.value(s, "V", n: n), 53.12))
            #expect(close(r.value(s, "CellVMax", n: n), 3.331, 1e-9))
            #expect(close(r.value(s, "CellVMin", n: n), 3.305, 1e-9))
            #expect(close(r.value(s, "ModTmpMax", n: n, signed: true), 21))
            #expect(close(r.value(s, "ModTmpMin", n: n, signed: true), -4.5))
            #expect(close(r.value(s, "ModTmpAvg", n: n, signed: true), 8.3, 0.051))
            #expect(r.u32(s, "Evt1", n: n) == 1 << 17)
            let module = r.model(804, n) + 2 + s.fixedLength
            #expect(regs[module] == 4)  // ModNCell
            #expect(regs[module + 4] == 3)  // ModCellVMaxCell
            #expect(regs[module + 6] == 4)  // ModCellVMinCell
        }
        let end = r.model(804, 1) + 2 + s.fixedLength + s.repeatLength
        #expect(Array(regs[end...]) == [0xFFFF, 0])
    }

    @Test func aStalePackShowsNoMeasurementsAndTheBankStopsCurrent() {
        let (fresh, freshPacks) = Self.bank()
        let (bank, packs) = Self.bank(secondOnline: false)
        #expect(bank.state == .degraded)
        #expect(bank.limits.chargeCurrent == 0 && bank.limits.dischargeCurrent == 0)
        let before = SunSpecImage.registers(.init(site: "home", bank: fresh, packs: freshPacks))
        let regs = SunSpecImage.registers(.init(site: "home", bank: bank, packs: packs))
        #expect(regs.count == before.count)  // model addresses never move
        let r = SunSpecReader(regs: regs)
        let b = SunSpecModel.battery, s = SunSpecModel.lithiumIonString
        #expect(r.value(b, "AChaMax") == 0 && r.value(b, "ADisChaMax") == 0)
        #expect(r.u32(b, "Evt1") & 1 == 1)  // COMMUNICATION_ERROR
        #expect(r.u16(b, "State") == 3 && r.u16(b, "StateVnd") == 1)
        #expect(r.u32(b, "EvtVnd2") == 1 | 1 << 16)  // pack_offline both ways
        #expect(r.u16(s, "Idx", n: 1) == 2)
        #expect(r.u32(s, "St", n: 1) == 0)
        #expect(r.u32(s, "Evt1", n: 1) == 1)
        for point in ["SoC", "SoH", "V", "CellVMax", "CellVMin", "CellVAvg"] { #expect(r.u16(s, point, n: 1) == 0xFFFF, "\(point)") }
        #expect(r.u16(s, "A", n: 1) == 0x8000)
        #expect(r.u32(s, "NCyc", n: 1) == 0xFFFF_FFFF)
        #expect(close(r.value(s, "SoC", n: 0), 72.5))  // the fresh pack is untouched

        let (dead, deadPacks) = Self.bank(secondOnline: false, firstOnline: false)
        let d = SunSpecReader(regs: SunSpecImage.registers(.init(site: "home", bank: dead, packs: deadPacks, heartbeat: 9)))
        #expect(d.u16(b, "State") == 99 && d.u16(b, "StateVnd") == 2)
        #expect(d.value(b, "AChaMax") == 0 && d.value(b, "ADisChaMax") == 0)
        #expect(d.u16(b, "SoC") == 0xFFFF && d.u16(b, "V") == 0xFFFF && d.u16(b, "A") == 0x8000 && d.u16(b, "ChaSt") == 0xFFFF)
    }

    @Test func simpleMapCarriesEveryField() {
        let (bank, packs) = Self.bank()
        let regs = SimpleRegisterMap.registers(bank: bank, packs: packs, heartbeat: 7, now: Self.now)
        #expect(regs.count == 300)
        func s16(_ i: Int) -> Int16 { Int16(bitPattern: regs[i]) }
        func u32(_ i: Int) -> UInt32 { UInt32(regs[i]) << 16 | UInt32(regs[i + 1]) }
        #expect(Array(regs[0...7]) == [1, 2, 2, 0, 7, 2, 5312, UInt16(bitPattern: -247)])
        #expect(Int32(bitPattern: u32(8)) == -1311)
        #expect(regs[10] == 725 && regs[11] == 980)
        #expect(u32(12) == 4062 && u32(14) == 5600)
        #expect(regs[16] == 102)
        #expect(Array(regs[17...22]) == [3305, 1, 3331, 1, 3319, 26])
        #expect(s16(23) == -45 && s16(24) == 210)
        #expect(Array(regs[25...27]) == [5520, 1000, 1500])
        #expect(u32(28) == 1 << 12 && u32(30) == 0)
        #expect(regs[32] == 5312 && regs[33] == 5312)
        for k in 1...2 {
            let p = 100 * k
            #expect(Array(regs[p...(p + 3)]) == [1, 2, 5312, UInt16(bitPattern: -123)])
            #expect(Int32(bitPattern: u32(p + 4)) == -656)  // -655.5 rounds away from zero
            #expect(regs[p + 6] == 725 && regs[p + 7] == 980 && u32(p + 8) == 2031 && u32(p + 10) == 2800)
            #expect(Array(regs[(p + 12)...(p + 18)]) == [102, 4, 3305, 3331, 3319, 26, 2])
            #expect(s16(p + 19) == 300 && regs[p + 20] == 0x8000)
            #expect(u32(p + 21) == 1 << 12 && u32(p + 23) == 1 << 2)
            #expect(regs[p + 25] == 1 && regs[p + 26] == 1)
            #expect(s16(p + 30) == 210 && s16(p + 31) == -45 && regs[p + 32] == 0x8000)
            #expect(Array(regs[(p + 40)...(p + 44)]) == [3321, 3318, 3331, 3305, 0xFFFF])
        }
        // p2 stale: only its index fields and the communication alarm remain.
        let (stale, stalePacks) = Self.bank(secondOnline: false)
        let s = SimpleRegisterMap.registers(bank: stale, packs: stalePacks, heartbeat: 7, now: Self.now)
        #expect(s[3] == 1 && s[26] == 0 && s[27] == 0)
        #expect(s[200] == 0 && s[201] == 2 && s[202] == 0xFFFF && s[203] == 0x8000 && s[240] == 0xFFFF)
        #expect(UInt32(s[221]) << 16 | UInt32(s[222]) == 1 << 15)
    }

    @Test func theDocumentMatchesTheCode() throws {
        let root = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let file = try String(contentsOfFile: root + "/docs/modbus-map.md", encoding: .utf8)
        #expect(file == ModbusMapDocument.markdown(), "docs/modbus-map.md is out of date: run `bmsgate modbus-map > docs/modbus-map.md`")
        for f in SimpleRegisterMap.bankFields { #expect(file.contains("| \(f.name) |")) }
        for f in SimpleRegisterMap.packFields { #expect(file.contains("| \(f.name) |")) }
    }

    @Test func simpleMapFieldsNeverOverlap() {
        for fields in [SimpleRegisterMap.bankFields.map { ($0.offset, $0.type.size) }, SimpleRegisterMap.packFields.map { ($0.offset, $0.type.size) }] {
            var used = Set<Int>()
            for (offset, size) in fields {
                for r in offset..<(offset + size) {
                    #expect(!used.contains(r), "register \(r) used twice")
                    #expect(r < SimpleRegisterMap.packStride)
                    used.insert(r)
                }
            }
        }
    }
}
