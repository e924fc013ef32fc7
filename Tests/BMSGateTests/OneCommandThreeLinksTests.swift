import Foundation
import BMSGateTestSupport
import Testing

@testable import BMSGate
@testable import PylonCodec

/// One `InverterCommand` through the three inverter links' encoders (CAN pylon, sma and
/// victron frames; Pylontech RS485 0x92 and 0x63; Modbus simple map and SunSpec 802),
/// decoded back here from the bytes: every link says the same numbers. Seeded: the seed is
/// printed, BMSGATE_COMMAND_SEED=0x... replays it.
struct OneCommandThreeLinksTests {
    /// What a link said, decoded.
    struct Said: Equatable, CustomStringConvertible {
        var chargeVoltage: Double
        var dischargeVoltage: Double
        var chargeCurrent: Double
        var dischargeCurrent: Double
        var chargeEnabled: Bool
        var dischargeEnabled: Bool
        var description: String {
            "\(chargeVoltage) V / \(dischargeVoltage) V, charge \(chargeCurrent) A \(chargeEnabled ? "on" : "off"), discharge \(dischargeCurrent) A \(dischargeEnabled ? "on" : "off")"
        }
    }

    static func bank() throws -> (BankConfig, BankStatus, [PackStatus]) {
        let site = try ConfigLoader.parse(yaml: """
            buses: [{id: lab, type: sim}]
            packs: [{id: a, driver: basen, bus: lab, address: 1}]
            banks: [{id: main, packs: [a], limits: {charge_voltage: 55.2, charge_current: 100, discharge_current: 150}}]
            """, file: "site.yaml")
        var r = Reading(pack: "a", driver: "basen", time: Date())
        r.voltage = 52.8
        r.current = 12.5
        r.cells = Array(repeating: 3.3, count: 16)
        r.temperatures = [21]
        r.soc = 64
        r.soh = 97
        r.fullCapacity = 280
        r.remainingCapacity = 180
        let pack = PackStatus(id: "a", driver: "basen", bus: "lab", address: "1", online: true, reading: r, lastError: nil,
                              lastPollTime: Date(), counters: PackCounters(), sequence: 1)
        let config = site.banks[0]
        return (config, BankStatus.aggregate(config, statuses: [pack]), [pack])
    }

    static func le16(_ d: [UInt8], _ at: Int) -> Int { Int(d[at]) | Int(d[at + 1]) << 8 }

    func can(_ profile: CANProfile, _ command: InverterCommand, _ bank: BankStatus, _ packs: [PackStatus]) -> (Said, systemError: Bool?) {
        let frames = profile.frames(CANBatteryState(command: command, bank: bank, packs: packs)).frames
        let f351 = frames.first { $0.id == 0x351 }!.data
        let said = Said(chargeVoltage: Double(Self.le16(f351, 0)) / 10, dischargeVoltage: Double(Self.le16(f351, 6)) / 10,
                        chargeCurrent: Double(Int16(truncatingIfNeeded: Self.le16(f351, 2))) / 10,
                        dischargeCurrent: Double(Int16(truncatingIfNeeded: Self.le16(f351, 4))) / 10,
                        chargeEnabled: false, dischargeEnabled: false)
        var out = said
        if let f35C = frames.first(where: { $0.id == 0x35C })?.data {
            out.chargeEnabled = f35C[0] & 0x80 != 0
            out.dischargeEnabled = f35C[0] & 0x40 != 0
            return (out, frames.first { $0.id == 0x359 }.map { $0.data[1] & 0x08 != 0 })
        }
        // SMA and Victron carry no enable bits: a limit of 0 A is the stop; 0x35A item 11 is
        // "BMS internal" (the system error), raised as 01 in bits 6-7 of byte 2.
        out.chargeEnabled = out.chargeCurrent > 0
        out.dischargeEnabled = out.dischargeCurrent > 0
        let events = frames.first { $0.id == 0x35A }!.data
        return (out, (events[2] >> 6) & 0b11 == 0b01)
    }

    func pylon(_ command: InverterCommand, _ config: BankConfig, _ bank: BankStatus, _ packs: [PackStatus]) throws -> (Said, Said, systemError: Bool) {
        let settings = PylonRS485Settings(bank: "main", link: .device("/dev/null", baud: 9600))
        let view = PylonBankView(command: command, bank: bank, packs: packs, settings: settings, config: config)
        func ask(_ cid2: UInt8, _ info: [UInt8]) throws -> [UInt8] {
            try PylonFrame.decode(PylonResponder.answer(PylonFrame(address: 2, cid2: cid2, info: info).encoded, view: view, settings: settings)).info
        }
        let m = try PylonManagement.decode(try ask(0x92, [2]))
        let module = Said(chargeVoltage: m.chargeVoltage, dischargeVoltage: m.dischargeVoltage, chargeCurrent: m.chargeCurrent,
                          dischargeCurrent: m.dischargeCurrent, chargeEnabled: m.chargeEnabled, dischargeEnabled: m.dischargeEnabled)
        // 0x63 (V3.5 system management): CVL, DVL in mV, currents in 0.01 A, status byte.
        let s = try ask(0x63, [])
        func u16(_ at: Int) -> Double { Double(Int(s[at]) << 8 | Int(s[at + 1])) }
        let system = Said(chargeVoltage: u16(0) / 1000, dischargeVoltage: u16(2) / 1000, chargeCurrent: u16(4) / 100,
                          dischargeCurrent: u16(6) / 100, chargeEnabled: s[8] & 0x80 != 0, dischargeEnabled: s[8] & 0x40 != 0)
        let alarms = try ask(0x62, [])
        return (module, system, alarms[3] & 0x08 != 0)
    }

    func modbus(_ command: InverterCommand, _ bank: BankStatus, _ packs: [PackStatus]) -> (Said, sunspec: (Double?, Double?), systemError: Bool) {
        var b = bank
        b.command = command
        let regs = SimpleRegisterMap.registers(bank: b, packs: packs, heartbeat: 1, now: Date())
        let flags = regs[35]
        let said = Said(chargeVoltage: Double(regs[25]) / 100, dischargeVoltage: Double(regs[34]) / 100, chargeCurrent: Double(regs[26]) / 10,
                        dischargeCurrent: Double(regs[27]) / 10, chargeEnabled: flags & 1 != 0, dischargeEnabled: flags & 2 != 0)
        let r = ModbusRegisterMapTests.SunSpecReader(regs: SunSpecImage.registers(.init(site: "home", bank: b, packs: packs)))
        return (said, (r.value(SunSpecModel.battery, "AChaMax"), r.value(SunSpecModel.battery, "ADisChaMax")), flags & 16 != 0)
    }

    @Test func everyLinkSaysTheSameNumbers() throws {
        let (config, bank, packs) = try Self.bank()
        let seed = ProcessInfo.processInfo.environment["BMSGATE_COMMAND_SEED"].flatMap { UInt64($0.dropFirst(2), radix: 16) }
            ?? UInt64.random(in: 1...UInt64.max)
        print("one command, three links: seed 0x\(String(seed, radix: 16)) (BMSGATE_COMMAND_SEED replays it)")
        var rng = Fuzz(seed: seed)
        for i in 0..<500 {
            // Values every link can carry exactly: 0.1 V and 0.1 A steps.
            let cvl = Double(Int.random(in: 480...580, using: &rng)) / 10
            let dvl = Double(Int.random(in: 400...479, using: &rng)) / 10
            let ccl = i % 7 == 0 ? 0 : Double(Int.random(in: 0...3000, using: &rng)) / 10
            let dcl = i % 5 == 0 ? 0 : Double(Int.random(in: 0...3000, using: &rng)) / 10
            let failsafe = i % 11 == 0
            let alarms: Set<CanonicalAlarm> = i % 3 == 0 ? [CanonicalAlarm.allCases.randomElement(using: &rng)!] : []
            var command = InverterCommand(chargeVoltage: cvl, dischargeVoltage: dvl, chargeCurrent: failsafe ? 0 : ccl,
                                          dischargeCurrent: failsafe ? 0 : dcl, soc: bank.soc, soh: bank.soh,
                                          failsafe: failsafe, alarms: InverterAlarms(active: alarms, systemError: failsafe))
            if i % 13 == 0 { command = command.gatewayStalled }
            let expected = Said(chargeVoltage: command.chargeVoltage, dischargeVoltage: command.dischargeVoltage,
                                chargeCurrent: command.chargeEnabled ? command.chargeCurrent : 0,
                                dischargeCurrent: command.dischargeEnabled ? command.dischargeCurrent : 0,
                                chargeEnabled: command.chargeEnabled, dischargeEnabled: command.dischargeEnabled)
            let label = "command \(i): \(expected)"
            let pylonCAN = can(.pylon, command, bank, packs), sma = can(.sma, command, bank, packs), victron = can(.victron, command, bank, packs)
            let (module, system, pylonError) = try pylon(command, config, bank, packs)
            let (simple, sunspec, modbusError) = modbus(command, bank, packs)
            #expect(pylonCAN.0 == expected, "\(label): CAN pylon \(pylonCAN.0)")
            // SMA's documented ranges clamp the voltages (41-63 V, discharge 41-48 V): the
            // currents and enables are the command's.
            for (name, said) in [("sma", sma.0), ("victron", victron.0)] {
                #expect(said.chargeCurrent == expected.chargeCurrent && said.dischargeCurrent == expected.dischargeCurrent, "\(label): CAN \(name) \(said)")
                #expect(said.chargeEnabled == expected.chargeEnabled && said.dischargeEnabled == expected.dischargeEnabled, "\(label): CAN \(name) \(said)")
            }
            #expect(victron.0.chargeVoltage == expected.chargeVoltage && victron.0.dischargeVoltage == expected.dischargeVoltage, "\(label): victron \(victron.0)")
            #expect(module == expected, "\(label): pylon-rs485 0x92 \(module)")
            #expect(system == expected, "\(label): pylon-rs485 0x63 \(system)")
            #expect(simple == expected, "\(label): modbus simple map \(simple)")
            // SunSpec scales by a power of ten in floating point: equal to 1e-9.
            #expect(abs((sunspec.0 ?? -1) - expected.chargeCurrent) < 1e-9 && abs((sunspec.1 ?? -1) - expected.dischargeCurrent) < 1e-9,
                    "\(label): SunSpec \(sunspec)")
            // The system error is the alarm table's, said by every link that has one.
            let systemError = command.alarms.systemError
            #expect(pylonCAN.systemError == systemError && sma.systemError == systemError && pylonError == systemError && modbusError == systemError,
                    "\(label): system error \(systemError)")
        }
    }
}
