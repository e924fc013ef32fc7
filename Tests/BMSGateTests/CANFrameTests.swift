import Testing

@testable import BMSGate

/// The CAN frame sets, byte for byte: published captures first, then every field, alarm bit,
/// quirk and range rule (docs/inverters.md).
struct CANFrameTests {
    func frame(_ set: CANFrameSet, _ id: UInt32) -> [UInt8]? { set.frames.first { $0.id == id }?.data }

    /// Frames a real Pylontech US2000/US3000 stack sent (the setfirelabs capture quoted in
    /// ArminJo/JK-BMSToPylontechCAN and diyBMSv4ESP32): 0x351 14 02 74 0E 74 0E CC 01 is
    /// 53.2 V, 370.0 A, 370.0 A, 46.0 V; 0x355 1A 00 64 00 is SoC 26 %, SoH 100 %; 0x359
    /// 00 00 00 00 0A 50 4E is no alarms, 10 modules, "PN"; 0x35C C0 00 both enabled;
    /// 0x35E "PYLON   ".
    @Test func pylonMatchesAPylontechStack() {
        let state = CANBatteryState(chargeVoltage: 53.2, dischargeVoltage: 46.0, chargeCurrent: 370, dischargeCurrent: 370,
                                    soc: 26, soh: 100, voltage: 49.5, current: 0, temperature: 20, modules: 10, modulesOnline: 10)
        let set = CANProfile.pylon.frames(state)
        #expect(set.frames.map(\.id) == [0x351, 0x355, 0x356, 0x359, 0x35C, 0x35E])
        #expect(frame(set, 0x351) == [0x14, 0x02, 0x74, 0x0E, 0x74, 0x0E, 0xCC, 0x01])
        #expect(frame(set, 0x355) == [0x1A, 0x00, 0x64, 0x00])
        #expect(frame(set, 0x359) == [0x00, 0x00, 0x00, 0x00, 0x0A, 0x50, 0x4E])
        #expect(frame(set, 0x35C) == [0xC0, 0x00])
        #expect(frame(set, 0x35E) == Array("PYLON   ".utf8))
        #expect(set.clamped.isEmpty)
    }

    /// The example frames of ArminJo/JK-BMSToPylontechCAN (Pylontech_CAN.h): 0x351 28 02 F4
    /// 01 20 03 E0 01 (55.2 V, 50.0 A, 80.0 A, 48.0 V), 0x355 3C 00 64 00 (60 %, 100 %),
    /// 0x356 6C 14 04 00 DC 00 (52.28 V, 0.4 A, 22.0 °C).
    @Test func pylonMatchesTheJKToPylontechExample() {
        let state = CANBatteryState(chargeVoltage: 55.2, dischargeVoltage: 48.0, chargeCurrent: 50, dischargeCurrent: 80,
                                    soc: 60, soh: 100, voltage: 52.28, current: 0.4, temperature: 22.0)
        let set = CANProfile.pylon.frames(state)
        #expect(frame(set, 0x351) == [0x28, 0x02, 0xF4, 0x01, 0x20, 0x03, 0xE0, 0x01])
        #expect(frame(set, 0x355) == [0x3C, 0x00, 0x64, 0x00])
        #expect(frame(set, 0x356) == [0x6C, 0x14, 0x04, 0x00, 0xDC, 0x00])
    }

    @Test func negativeValuesAndMissingOnes() {
        let state = CANBatteryState(chargeVoltage: 56.8, dischargeVoltage: 44.8, chargeCurrent: 100, dischargeCurrent: 120,
                                    soc: nil, soh: nil, voltage: 51.2, current: -123.4, temperature: -5.5)
        let set = CANProfile.pylon.frames(state)
        // -123.4 A = 0xFB2E, -5.5 °C = 0xFFC9; missing SoC is 0, missing SoH 100.
        #expect(frame(set, 0x356) == [0x00, 0x14, 0x2E, 0xFB, 0xC9, 0xFF])
        #expect(frame(set, 0x355) == [0x00, 0x00, 0x64, 0x00])
    }

    @Test func aStaleBankStopsBothWaysAndSaysSo() {
        var state = CANBatteryState(chargeVoltage: 55.2, dischargeVoltage: 48, chargeCurrent: 0, dischargeCurrent: 0, soc: 50,
                                    modules: 2, modulesOnline: 0, stale: true)
        state.alarms = []
        let set = CANProfile.pylon.frames(state)
        #expect(frame(set, 0x351) == [0x28, 0x02, 0x00, 0x00, 0x00, 0x00, 0xE0, 0x01])
        #expect(frame(set, 0x35C) == [0x00, 0x00])
        #expect(frame(set, 0x359) == [0x00, 0x08, 0x00, 0x08, 0x00, 0x50, 0x4E])  // system error + alarm, 0 modules
        // Limits of 0 A alone (an alarm stopped one direction) clear only that enable bit.
        let chargeStopped = CANBatteryState(chargeVoltage: 55.2, dischargeVoltage: 48, chargeCurrent: 0, dischargeCurrent: 80)
        #expect(frame(CANProfile.pylon.frames(chargeStopped), 0x35C) == [0x40, 0x00])
        #expect(frame(CANProfile.pylon.frames(chargeStopped.stopped), 0x35C) == [0x00, 0x00])
    }

    @Test func everyAlarmLandsOnItsPylonBit() {
        func bytes(_ alarms: Set<CanonicalAlarm>) -> [UInt8] {
            let s = CANBatteryState(chargeVoltage: 55, dischargeVoltage: 48, chargeCurrent: 0, dischargeCurrent: 0, alarms: alarms)
            return Array(frame(CANProfile.pylon.frames(s), 0x359)!.prefix(4))
        }
        #expect(bytes([.cellOvervoltage]) == [0x02, 0, 0, 0])
        #expect(bytes([.packOvervoltage]) == [0x02, 0, 0, 0])
        #expect(bytes([.cellUndervoltage]) == [0x04, 0, 0, 0])
        #expect(bytes([.chargeOvertemperature]) == [0x08, 0, 0, 0])
        #expect(bytes([.mosOvertemperature]) == [0x08, 0, 0, 0])
        #expect(bytes([.dischargeUndertemperature]) == [0x10, 0, 0, 0])
        #expect(bytes([.dischargeOvercurrent]) == [0x80, 0, 0, 0])
        #expect(bytes([.shortCircuit]) == [0x80, 0, 0, 0])
        #expect(bytes([.chargeOvercurrent]) == [0, 0x01, 0, 0])
        #expect(bytes([.internalFault]) == [0, 0x08, 0, 0])
        #expect(bytes([.duplicatePack]) == [0, 0x08, 0, 0])
        #expect(bytes([.cellImbalance, .lowSoc]) == [0, 0, 0, 0])
    }

    @Test func smaClampsToItsRangesAndPairsItsAlarmBits() {
        let state = CANBatteryState(chargeVoltage: 70, dischargeVoltage: 40, chargeCurrent: 1500, dischargeCurrent: 200,
                                    soc: 55.55, soh: 98, voltage: 53.0, current: 10, temperature: 25, capacity: 280)
        let set = CANProfile.sma.frames(state)
        #expect(set.frames.map(\.id) == [0x351, 0x355, 0x356, 0x35A, 0x35E, 0x35F])
        // 63.0 V, 1200.0 A, 200.0 A, 41.0 V
        #expect(frame(set, 0x351) == [0x76, 0x02, 0xE0, 0x2E, 0xD0, 0x07, 0x9A, 0x01])
        #expect(set.clamped == ["0x351 charge voltage 70.0 V → 63.0 V", "0x351 charge current 1500.0 A → 1200.0 A",
                                "0x351 discharge voltage 40.0 V → 41.0 V"])
        // SoC 56 % (rounded), SoH 98 %, SoC 55.55 % in 0.01 %
        #expect(frame(set, 0x355) == [0x38, 0x00, 0x62, 0x00, 0xB3, 0x15])
        #expect(frame(set, 0x35A) == [0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA])
        #expect(frame(set, 0x35E) == Array("BMSGATE ".utf8))
        #expect(frame(set, 0x35F) == [0x00, 0x00, 0x00, 0x01, 0x18, 0x01, 0x00, 0x00])
        var alarmed = state
        alarmed.alarms = [.cellOvervoltage, .cellImbalance]
        let a = frame(CANProfile.sma.frames(alarmed), 0x35A)!
        // byte 0: general raised, high voltage raised, low voltage and high temperature clear
        #expect(a[0] == 0b1010_0101)
        #expect(a[1] == 0xAA && a[2] == 0xAA && a[3] == 0xAA)
        // warnings: general and cell imbalance raised
        #expect(a[4] == 0b1010_1001 && a[7] == 0b1010_1001)
        // An unknown SoC is 0xFFFF in the high-resolution field.
        var unknown = state
        unknown.soc = nil
        #expect(Array(frame(CANProfile.sma.frames(unknown), 0x355)!.suffix(2)) == [0xFF, 0xFF])
    }

    @Test func victronAddsNamesModulesCellsAndCapacity() {
        let state = CANBatteryState(chargeVoltage: 55.2, dischargeVoltage: 44, chargeCurrent: 100, dischargeCurrent: 100, soc: 80,
                                    modules: 4, modulesOnline: 3, modulesBlockingCharge: 1, modulesBlockingDischarge: 0,
                                    cellVoltageMin: 3.301, cellVoltageMax: 3.342, temperatureMin: 18.2, temperatureMax: 24.9, capacity: 560)
        let set = CANProfile.victron.frames(state, name: "garage bank 1")
        #expect(set.frames.map(\.id) == [0x351, 0x355, 0x356, 0x35A, 0x35E, 0x35F, 0x370, 0x371, 0x372, 0x373, 0x379])
        #expect(frame(set, 0x370) == Array("garage b".utf8))
        #expect(frame(set, 0x371) == Array("ank 1   ".utf8))
        #expect(frame(set, 0x372) == [3, 0, 1, 0, 0, 0, 1, 0])
        // 3301 mV, 3342 mV, 291 K, 298 K
        #expect(frame(set, 0x373) == [0xE5, 0x0C, 0x0E, 0x0D, 0x23, 0x01, 0x2A, 0x01])
        #expect(frame(set, 0x379) == [0x30, 0x02])
        #expect(set.clamped.isEmpty, "Victron takes 12 to 48 V banks: no SMA ranges")
    }

    /// A Pytes V5 battery talking to a Victron Venus OS 3.34, dumped with cansniffer
    /// (AndreasBoehm/PytesCANProtocol): 0x351 38 02 E8 03 E8 03 C7 01 (56.8 V, 100 A, 100 A,
    /// 45.5 V), 0x355 33 00 64 00, 0x356 8E 14 F9 FF B4 00 (52.62 V, -0.7 A, 18.0 °C), 0x372
    /// 02 00 01 00 01 00 02 00, 0x373 D8 0C DA 0C 21 01 23 01 (3.288 V, 3.290 V, 289 K,
    /// 291 K), 0x379 64 00 (100 Ah). Its 0x35A items sit where ours do (e.g. low voltage
    /// 0x10 in byte 0, cell imbalance 0x01 in byte 3); Pytes sends 00 for "OK" where the SMA
    /// document, which bmsgate follows, sends 10 ("cleared").
    @Test func victronMatchesAPytesBatteryOnVenusOS() {
        let state = CANBatteryState(chargeVoltage: 56.8, dischargeVoltage: 45.5, chargeCurrent: 100, dischargeCurrent: 100,
                                    soc: 51, soh: 100, voltage: 52.62, current: -0.7, temperature: 18.0, modules: 4, modulesOnline: 2,
                                    modulesBlockingCharge: 1, modulesBlockingDischarge: 1, cellVoltageMin: 3.288, cellVoltageMax: 3.290,
                                    temperatureMin: 16.0, temperatureMax: 18.0, capacity: 100)
        let set = CANProfile.victron.frames(state)
        #expect(frame(set, 0x351) == [0x38, 0x02, 0xE8, 0x03, 0xE8, 0x03, 0xC7, 0x01])
        #expect(Array(frame(set, 0x355)!.prefix(4)) == [0x33, 0x00, 0x64, 0x00])
        #expect(frame(set, 0x356) == [0x8E, 0x14, 0xF9, 0xFF, 0xB4, 0x00])
        #expect(frame(set, 0x372) == [0x02, 0x00, 0x01, 0x00, 0x01, 0x00, 0x02, 0x00])
        #expect(frame(set, 0x373) == [0xD8, 0x0C, 0xDA, 0x0C, 0x21, 0x01, 0x23, 0x01])
        #expect(frame(set, 0x379) == [0x64, 0x00])
        var low = state
        low.alarms = [.packUndervoltage]
        #expect(frame(CANProfile.victron.frames(low), 0x35A)![0] & 0x30 == 0x10, "low voltage raised where Pytes raises it")
        low.alarms = [.cellImbalance]
        #expect(frame(CANProfile.victron.frames(low), 0x35A)![7] & 0x03 == 0x01, "cell imbalance warning where Pytes puts it")
    }

    @Test func quirks() {
        let stopped = CANBatteryState(chargeVoltage: 56.0, dischargeVoltage: 48, chargeCurrent: 0, dischargeCurrent: 0, voltage: 53.37)
        let sofar = CANProfile.pylon.frames(stopped, quirks: [.nonzeroStop])
        #expect(frame(sofar, 0x351) == [0x30, 0x02, 0x01, 0x00, 0x01, 0x00, 0xE0, 0x01], "0.1 A instead of 0")
        #expect(frame(sofar, 0x35C) == [0x00, 0x00], "but nothing is enabled")
        let deye = CANProfile.pylon.frames(stopped, quirks: [.cvlStop])
        #expect(Array(frame(deye, 0x351)!.prefix(2)) == [0x15, 0x02], "53.3 V: the bank voltage, rounded down")
        let solark = CANProfile.pylon.frames(stopped, quirks: [.eightByteFrames])
        #expect(solark.frames.allSatisfy { $0.data.count == 8 })
        #expect(frame(solark, 0x35C) == [0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func theDocumentListsEveryFrameAndQuirk() throws {
        let root = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let doc = try String(contentsOfFile: root + "/docs/inverters.md", encoding: .utf8)
        let state = CANBatteryState(chargeVoltage: 55, dischargeVoltage: 48, chargeCurrent: 10, dischargeCurrent: 10)
        for profile in CANProfile.allCases {
            #expect(doc.contains("### `\(profile.rawValue)`"))
            for frame in profile.frames(state).frames {
                #expect(doc.contains("| 0x\(String(frame.id, radix: 16, uppercase: true))"), "\(profile) 0x\(String(frame.id, radix: 16))")
            }
        }
        for quirk in CANQuirk.allCases { #expect(doc.contains("| `\(quirk.rawValue)` |")) }
        for id in InverterFrames.ids { #expect(doc.contains("| 0x\(String(id, radix: 16, uppercase: true)) |")) }
    }

    @Test func inverterFramesDecode() {
        let sma = InverterSimulator.keepalive(.sma)
        let fields = Dictionary(uniqueKeysWithValues: sma.flatMap { InverterFrames.decode($0, profile: .sma) ?? [] })
        #expect(fields["battery_voltage"] == 52.0 && fields["battery_current"] == -5.0 && fields["battery_temperature"] == 25.0)
        #expect(fields["soc"] == 80 && fields["soh"] == 100 && fields["operating_state"] == 2 && fields["charge_voltage_setpoint"] == 55.2)
        let victron = InverterSimulator.keepalive(.victron).compactMap { InverterFrames.decode($0, profile: .victron) }.flatMap { $0 }
        #expect(victron.contains { $0.0 == "victron" })
        #expect(InverterFrames.decode(CANFrame(id: 0x305, data: [0, 0, 0, 0, 0, 0, 0, 0]), profile: .pylon)?.isEmpty == true)
        #expect(InverterFrames.decode(CANFrame(id: 0x351, data: []), profile: .pylon) == nil)
        #expect(InverterFrames.decode(CANFrame(id: 0x300, data: [1]), profile: .pylon)?.first?.1 == 1)
    }
}

/// The SLCAN line protocol.
struct SLCANTests {
    @Test func framesEncodeAndParse() {
        let f = CANFrame(id: 0x351, data: [0x14, 0x02, 0x74, 0x0E, 0x74, 0x0E, 0xCC, 0x01])
        #expect(SLCAN.encode(f) == "t35181402740E740ECC01")
        #expect(SLCAN.parse("t35181402740E740ECC01") == .frame(f))
        #expect(SLCAN.parse("t35181402740e740ecc01") == .frame(f))
        #expect(SLCAN.parse("t35181402740E740ECC011A2B") == .frame(f), "with a timestamp")
        #expect(SLCAN.encode(CANFrame(id: 0x5, data: [])) == "t0050")
        #expect(SLCAN.encode(CANFrame(id: 0x1234567, data: [0xAB], extended: true)) == "T012345671AB")
        #expect(SLCAN.parse("T012345671AB") == .frame(CANFrame(id: 0x1234567, data: [0xAB], extended: true)))
        #expect(SLCAN.parse("r3050") == .frame(CANFrame(id: 0x305, data: [])))
        #expect(SLCAN.openCommands(bitrate: 500_000) == ["C", "S6", "O"])
        #expect(SLCAN.openCommands(bitrate: 250_000) == ["C", "S5", "O"])
    }

    @Test func badLinesAreGarbageNotFrames() {
        for bad in ["t35", "t3519", "t351814027", "t35181402740E740ECC01FF", "tXYZ0", "t8000", "T200000000", "hello", "zz", "t351G"] {
            guard case .garbage = SLCAN.parse(Substring(bad)) else {
                Issue.record("'\(bad)' should be garbage, is \(SLCAN.parse(Substring(bad)))")
                continue
            }
        }
        #expect(SLCAN.parse("") == .ok)
        #expect(SLCAN.parse("z") == .ok)
        #expect(SLCAN.parse("V1013") == .info("V1013"))
        #expect(SLCAN.parse("S6") == .info("S6"))
        #expect(SLCAN.parse("O") == .info("O"))
    }

    @Test func theSplitterHandlesChunksBelAndRunaways() {
        var s = SLCAN.LineSplitter()
        #expect(s.feed(Array("t30580000".utf8)) == [])
        #expect(s.feed(Array("000000000000\rz\r".utf8)) == [.line(.frame(CANFrame(id: 0x305, data: Array(repeating: 0, count: 8)))), .line(.ok)])
        #expect(s.feed([0x07]) == [.error])
        #expect(s.feed(Array("\n\r".utf8)) == [.line(.ok)])
        let runaway = s.feed(Array(repeating: UInt8(ascii: "x"), count: 70))
        #expect(runaway.count == 1)
        #expect(s.feed(Array("xxt3050\r".utf8)) == [], "the rest of the runaway line is dropped")
        #expect(s.feed(Array("t3050\r".utf8)) == [.line(.frame(CANFrame(id: 0x305, data: [])))])
    }
}
