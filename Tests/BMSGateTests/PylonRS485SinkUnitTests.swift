import Foundation
import Testing

@testable import BMSGate
@testable import PylonCodec

/// What the pylon-rs485 sink answers, without a port: modules, shares of the limits, the
/// failsafe in 0x92, and its configuration.
struct PylonRS485SinkUnitTests {
    static let config = """
        buses: [{id: lab, type: sim}]
        packs:
          - {id: a, driver: basen, bus: lab, address: 1}
          - {id: b, driver: basen, bus: lab, address: 2}
        banks: [{id: main, packs: [a, b], limits: {charge_voltage: 55.2, charge_current: 100, discharge_current: 150}}]

        """

    func pack(_ id: String, online: Bool, cells: [Double] = [3.30, 3.31, 3.32], chargeEnabled: Bool? = true) -> PackStatus {
        var r = Reading(pack: id, driver: "basen", time: Date())
        r.voltage = cells.reduce(0, +)
        r.current = 12.5
        r.cells = cells
        r.temperatures = [21, 23]
        r.fullCapacity = 100
        r.remainingCapacity = 60
        r.cycles = 12
        r.chargeEnabled = chargeEnabled
        r.dischargeEnabled = true
        return PackStatus(id: id, driver: "basen", bus: "lab", address: "1", online: online, reading: r, lastError: nil, lastPollTime: Date(),
                          counters: PackCounters(), sequence: 1)
    }

    func view(_ packs: [PackStatus], modules: PylonRS485Settings.Modules, limits: (Double, Double)) throws -> PylonBankView {
        let site = try ConfigLoader.parse(yaml: Self.config, file: "site.yaml")
        let bank = site.banks[0]
        var status = BankStatus.aggregate(bank, statuses: packs)
        status.limits = ChargeLimits(chargeVoltage: 55.2, chargeCurrent: limits.0, dischargeCurrent: limits.1, reasons: [])
        var controller = ChargeController(bank: bank)
        status.command = controller.command(for: status, packs: packs)
        var settings = PylonRS485Settings(bank: "main", link: .device("/dev/null", baud: 9600))
        settings.modules = modules
        return PylonBankView(command: status.command, bank: status, packs: packs, settings: settings, config: bank)
    }

    func ask(_ view: PylonBankView, address: UInt8, command: UInt8, info: [UInt8]) throws -> PylonFrame {
        let settings = PylonRS485Settings(bank: "main", link: .device("/dev/null", baud: 9600))
        return try PylonFrame.decode(PylonResponder.answer(PylonFrame(address: address, cid2: command, info: info).encoded, view: view, settings: settings))
    }

    @Test func packsAreModulesWithAShareOfTheLimits() throws {
        let v = try view([pack("a", online: true), pack("b", online: true)], modules: .packs, limits: (100, 150))
        #expect(v.modules.map(\.address) == [2, 3])
        let m = try PylonManagement.decode(try ask(v, address: 3, command: 0x92, info: [3]).info)
        #expect(m.chargeCurrent == 50 && m.dischargeCurrent == 75 && m.chargeVoltage == 55.2 && m.dischargeVoltage == 8.7)
        #expect(m.chargeEnabled && m.dischargeEnabled)
        let all = try PylonInfo.readAnalog(try ask(v, address: 2, command: 0x42, info: [0xFF]).info, allModules: true)
        #expect(all.commandValue == 2 && all.modules.count == 2)
        #expect(all.modules[0].cells == [3.30, 3.31, 3.32] && all.modules[0].temperatures == [23, 21, 23])
        #expect(all.modules[0].current == 12.5 && all.modules[0].remainingCapacity == 60 && all.modules[0].cycles == 12)
        #expect(try ask(v, address: 5, command: 0x92, info: [5]).cid2 == PylonReturnCode.address.rawValue)
    }

    @Test func theV35SystemCommandsCarryTheWholeBank() throws {
        let v = try view([pack("a", online: true, cells: [3.30, 3.31, 3.32]), pack("b", online: true, cells: [3.29, 3.33, 3.31])],
                         modules: .packs, limits: (100, 150))
        // 0x63: 55.2 V, 8.7 V (3 cells x 2.9), 100.00 A, 150.00 A in 10 mA, both enabled.
        #expect(try ask(v, address: 2, command: 0x63, info: []).info == [0xD7, 0xA0, 0x21, 0xFC, 0x27, 0x10, 0x3A, 0x98, 0xC0])
        var r = PylonReader(try ask(v, address: 2, command: 0x61, info: []).info)
        #expect(try r.u16() == 9930, "the bank voltage (packs in parallel), mV")
        #expect(try r.s16() == 2500, "the bank current, 2 x 12.5 A, in 10 mA")
        _ = try r.u8()
        #expect(try r.u16() == 12 && r.u16() == 12, "cycles average and maximum")
        _ = try r.u8()
        _ = try r.u8()
        #expect(try r.u16() == 3330 && r.u16() == 3, "highest cell 3.33 V in module 3")
        #expect(try r.u16() == 3290 && r.u16() == 3, "lowest cell 3.29 V in module 3")
        #expect(try ask(v, address: 2, command: 0x62, info: []).info == [0, 0, 0, 0])
        let stopped = try view([pack("a", online: true), pack("b", online: false)], modules: .packs, limits: (0, 0))
        #expect(try ask(stopped, address: 2, command: 0x63, info: []).info.suffix(5) == [0x00, 0x00, 0x00, 0x00, 0x00], "0 A, nothing enabled")
    }

    @Test func systemAlarmBits() {
        let s = PylonBankView.systemAlarms(InverterAlarms(active: [.cellOvervoltage, .chargeOvercurrent, .cellImbalance, .internalFault]))
        #expect(s.info == [0x01, 0x00, 0x20, 0x48])
        #expect(PylonBankView.systemAlarms(InverterAlarms(active: [], systemError: true)).info == [0, 0, 0, 0x08])
        // A lost pack is a warning and, by the one alarm table, a system error (as on CAN).
        #expect(PylonBankView.systemAlarms(InverterAlarms(active: [.packUndervoltage, .dischargeUndertemperature, .shortCircuit, .communication])).info
                == [0, 0x10, 0x44, 0x28])
    }

    @Test func theFailsafeReaches0x92() throws {
        // The bank's limits are 0 A (a pack went stale): both modules say stop.
        let v = try view([pack("a", online: true), pack("b", online: false)], modules: .packs, limits: (0, 0))
        for address in [UInt8(2), 3] {
            let m = try PylonManagement.decode(try ask(v, address: address, command: 0x92, info: [address]).info)
            #expect(m.chargeCurrent == 0 && m.dischargeCurrent == 0 && !m.chargeEnabled && !m.dischargeEnabled, "address \(address)")
        }
        // A pack whose BMS stopped charging clears its module's charge bit.
        let blocked = try view([pack("a", online: true, chargeEnabled: false), pack("b", online: true)], modules: .packs, limits: (100, 150))
        #expect(!(try PylonManagement.decode(try ask(blocked, address: 2, command: 0x92, info: [2]).info)).chargeEnabled)
        // With no snapshot at all the answer is the empty view: 0 A, nothing enabled.
        let site = try ConfigLoader.parse(yaml: Self.config, file: "site.yaml")
        let empty = PylonBankView.empty(command: .noData(site.banks[0]), settings: PylonRS485Settings(bank: "main", link: .device("/dev/null", baud: 9600)),
                                        bank: site.banks[0])
        let m = try PylonManagement.decode(try ask(empty, address: 2, command: 0x92, info: [2]).info)
        #expect(m.chargeCurrent == 0 && !m.chargeEnabled && m.dischargeCurrent == 0 && !m.dischargeEnabled && m.chargeVoltage == 55.2)
    }

    /// An inverter adds the modules' 0x92 limits: whatever the failsafe mode, the module
    /// layout and which packs are stale or blocked, the sum never exceeds the bank's limit,
    /// and a stale pack's module says 0 A (before the fix, `failsafe: share` with
    /// `modules: packs` gave the stale pack's module a share too: 2 x 50 A for a 50 A bank).
    @Test func theModulesNeverAddUpToMoreThanTheBank() throws {
        for failsafe in ["zero", "share"] {
            for layout in [PylonRS485Settings.Modules.packs, .bank] {
                let yaml = """
                    buses: [{id: lab, type: sim}]
                    packs:
                      - {id: a, driver: basen, bus: lab, address: 1}
                      - {id: b, driver: basen, bus: lab, address: 2}
                      - {id: c, driver: basen, bus: lab, address: 3}
                    banks: [{id: main, packs: [a, b, c], limits: {charge_voltage: 55.2, charge_current: 100, discharge_current: 150}, failsafe: \(failsafe)}]

                    """
                let bank = try ConfigLoader.parse(yaml: yaml, file: "site.yaml").banks[0]
                var settings = PylonRS485Settings(bank: "main", link: .device("/dev/null", baud: 9600))
                settings.modules = layout
                // Every combination of online / stale / charge blocked by the BMS for three packs.
                for combination in 0..<27 {
                    let states = (0..<3).map { (combination / [1, 3, 9][$0]) % 3 }
                    let packs = ["a", "b", "c"].enumerated().map { i, id in
                        var p = pack(id, online: states[i] != 1, chargeEnabled: states[i] != 2)
                        p.reading?.identity.serial = "SN-\(id)"
                        return p
                    }
                    let status = BankStatus.aggregate(bank, statuses: packs)
                    let view = PylonBankView(command: status.command, bank: status, packs: packs, settings: settings, config: bank)
                    var charge = 0.0, discharge = 0.0
                    for module in view.modules {
                        let m = try PylonManagement.decode(try ask(view, address: module.address, command: 0x92, info: [module.address]).info)
                        charge += m.chargeCurrent
                        discharge += m.dischargeCurrent
                        #expect(m.chargeEnabled == (m.chargeCurrent > 0) && m.dischargeEnabled == (m.dischargeCurrent > 0))
                        if layout == .packs, states[Int(module.address) - 2] == 1 {
                            #expect(m.chargeCurrent == 0 && m.dischargeCurrent == 0 && !m.chargeEnabled && !m.dischargeEnabled,
                                    "\(failsafe) \(states): the stale pack's module")
                        }
                    }
                    let label = "failsafe \(failsafe), modules \(layout), states \(states)"
                    #expect(charge <= status.limits.chargeCurrent + 1e-9, "\(label): \(charge) A > \(status.limits.chargeCurrent) A")
                    #expect(discharge <= status.limits.dischargeCurrent + 1e-9, "\(label): \(discharge) A > \(status.limits.dischargeCurrent) A")
                    if layout == .bank { #expect(abs(charge - status.limits.chargeCurrent) < 0.051) }
                }
            }
        }
        // The share is rounded down to the 0.1 A 0x92 carries: 6 x 16.6 A, not 6 x 16.7 A.
        #expect(PylonBankView.share(100, of: 6) == 16.6 && PylonBankView.share(100, of: 4) == 25 && PylonBankView.share(0, of: 3) == 0)
    }

    @Test func theBankAsOneModuleCarriesTheWholeLimitsAndTheWorstPack() throws {
        let v = try view([pack("a", online: true, cells: [3.30, 3.31]), pack("b", online: true, cells: [3.10, 3.35])], modules: .bank, limits: (100, 150))
        #expect(v.modules.map(\.address) == [2])
        let m = try PylonManagement.decode(try ask(v, address: 2, command: 0x92, info: [2]).info)
        #expect(m.chargeCurrent == 100 && m.dischargeCurrent == 150)
        let one = try PylonInfo.readAnalog(try ask(v, address: 2, command: 0x42, info: [2]).info, allModules: false)
        #expect(one.modules[0].cells == [3.10, 3.35], "the pack with the lowest cell")
        #expect(one.modules[0].totalCapacity == 200 && one.modules[0].remainingCapacity == 120)
    }

    @Test func everyCommandAndErrorIsAnswered() throws {
        let v = try view([pack("a", online: true), pack("b", online: true)], modules: .packs, limits: (100, 150))
        for command in PylonCommand.allCases {
            #expect(try ask(v, address: 2, command: command.rawValue, info: [2]).cid2 == 0, "0x\(String(command.rawValue, radix: 16))")
        }
        #expect(try ask(v, address: 2, command: 0x99, info: []).cid2 == PylonReturnCode.unknownCommand.rawValue)
        let settings = PylonRS485Settings(bank: "main", link: .device("/dev/null", baud: 9600))
        let broken = PylonResponder.answer(Array("~20024692E00202FD00\r".utf8), view: v, settings: settings)
        #expect(try PylonFrame.decode(broken).cid2 == PylonReturnCode.checksum.rawValue)
        #expect(try PylonFrame.decode(broken).address == 2)
        let oldVersion = PylonFrame(version: 0x05, address: 2, cid2: 0x92, info: [2]).encoded
        #expect(try PylonFrame.decode(PylonResponder.answer(oldVersion, view: v, settings: settings)).cid2 == PylonReturnCode.version.rawValue)
        #expect(try ask(v, address: 2, command: 0x92, info: [2, 0, 0]).cid2 == PylonReturnCode.invalidData.rawValue)
        let v35 = PylonFrame(version: 0x35, address: 2, cid2: 0x63).encoded
        #expect(try PylonFrame.decode(PylonResponder.answer(v35, view: v, settings: settings)).cid2 == 0)
        let garbage = PylonResponder.answer(Array("~zz\r".utf8), view: v, settings: settings)
        #expect(try PylonFrame.decode(garbage).cid2 == PylonReturnCode.format.rawValue)
        let alarms = try ask(v, address: 2, command: 0x44, info: [2]).info
        #expect(alarms[0] == 0x11 && alarms[1] == 2 && alarms[2] == 3)
        let serial = try ask(v, address: 3, command: 0x93, info: [3]).info
        #expect(serial[0] == 3 && String(decoding: serial[1...], as: UTF8.self).hasPrefix("BMSGATE3"))
    }

    @Test func configuration() throws {
        let site = try ConfigLoader.parse(yaml: Self.config + """
            sinks:
              - {type: pylon-rs485, bank: main, device: /dev/ttyUSB1}
              - {type: pylon-rs485, bank: main, listen: "127.0.0.1:8234", modules: packs, discharge_voltage: 46}
            """, file: "site.yaml")
        let s = try #require(site.sinks[0].settings as? PylonRS485Settings)
        #expect(s.link == .device("/dev/ttyUSB1", baud: 9600) && s.modules == .bank && s.dischargeVoltage == nil)
        let t = try #require(site.sinks[1].settings as? PylonRS485Settings)
        #expect(t.link == .listen(host: "127.0.0.1", port: 8234) && t.modules == .packs && t.dischargeVoltage == 46)
        let bad = configIssues(Self.config + """
            sinks:
              - {type: pylon-rs485, bank: main}
              - {type: pylon-rs485, bank: main, device: /dev/a, modules: all}
              - {type: pylon-rs485, bank: nope, device: /dev/b}
            """)
        #expect(bad == [
            "site.yaml:7:5: the pylon-rs485 sink needs device: (the RS485 port the inverter is on, e.g. /dev/ttyUSB1; sim for a simulated inverter) or listen: (HOST:PORT)",
            "site.yaml:8:62: 'modules' of the pylon-rs485 sink must be packs (one module per pack) or bank (the bank as one module)",
            "site.yaml:9:5: the pylon-rs485 sink answers for bank 'nope', which is not defined (banks: main)",
        ], "\(bad)")
    }
}
