import BMSDriverKit
import BMSGateTestSupport
import PylonCodec
import Testing

@testable import Pylontech

/// The pylontech driver: captured frames with every value asserted, its emulator answering
/// like a pack, refusals with the reason.
struct PylontechDriverTests {
    /// A US2000/US3000 answer to 0x42 for address 2 (the capture PylonCodecTests decodes).
    static let capture = Capture.asciiFrame("pylontech-us2000-0x42")

    @Test func decodesACapturedAnswer() throws {
        let (r, _) = try PylontechDriver.decode(frames: [Self.capture], options: DriverOptions([]))
        #expect(r.cells == [3.269, 3.267, 3.269, 3.268, 3.268, 3.270, 3.269, 3.268, 3.271, 3.269, 3.270, 3.270, 3.269, 3.270, 3.270])
        #expect(r.mosTemperature == 14.0 && r.temperatures == [12.0, 12.0, 13.0, 13.0])
        #expect(r.current == -3.2 && r.voltage == 49.037)
        #expect(r.remainingCapacity == 48.1 && r.fullCapacity == 74 && r.cycles == 27)
        #expect(r.soc == 65.0)
        #expect(r.extra("address") == .number(2))
    }

    /// The master's answer to 0x42 INFO FF holds every module; `module` picks one.
    @Test func decodesAWholeStackAnswer() throws {
        let e = try PylontechEmulator(options: DriverOptions([("addresses", "2,3,4")]))
        let answer = e.exchange(PylonFrame(address: 2, cid2: 0x42, info: [0xFF]).encoded)
        let (first, _) = try PylontechDriver.decode(frames: [answer], options: DriverOptions([]))
        #expect(first.cells == PylontechEmulator.captured.cells && first.voltage == 49.037)
        #expect(first.extra("stack_modules") == .number(3))
        let (third, _) = try PylontechDriver.decode(frames: [answer], options: DriverOptions([("module", "3")]))
        #expect(third.cells == PylontechEmulator.other(4).cells && third.cycles == 44)
        #expect(third.remainingCapacity == 36)
        #expect(throws: DriverError.self) { try PylontechDriver.decode(frames: [answer], options: DriverOptions([("module", "4")])) }
        // A single-module answer is never taken for a stack.
        let (single, _) = try PylontechDriver.decode(frames: [Self.capture], options: DriverOptions([("module", "1")]))
        #expect(single.extra("stack_modules") == nil)
    }

    @Test func theEmulatorAnswersLikeAPack() throws {
        let e = try PylontechEmulator(options: DriverOptions([("addresses", "2,3")]))
        func ask(_ address: UInt8, _ command: UInt8, _ info: [UInt8]) throws -> PylonFrame {
            try PylonFrame.decode(e.exchange(PylonFrame(address: address, cid2: command, info: info).encoded))
        }
        // Address 2 answers 0x42 with the captured frame, byte for byte.
        #expect(e.exchange(PylonFrame(address: 2, cid2: 0x42, info: [2]).encoded) == Self.capture)
        let all = try PylonInfo.readAnalog(try ask(2, 0x42, [0xFF]).info, allModules: true)
        #expect(all.commandValue == 2 && all.modules.count == 2)
        let m = try PylonManagement.decode(try ask(3, 0x92, [3]).info)
        #expect(m.chargeVoltage == 53.2 && m.chargeCurrent == 37 && m.chargeEnabled)
        #expect(try ask(2, 0x99, []).cid2 == PylonReturnCode.unknownCommand.rawValue)
        #expect(try ask(2, 0x42, [3]).cid2 == PylonReturnCode.address.rawValue)
        #expect(e.exchange(PylonFrame(address: 9, cid2: 0x42, info: [9]).encoded).isEmpty, "no pack at 9: silence, as on a real bus")
        var broken = PylonFrame(address: 2, cid2: 0x42, info: [2]).encoded
        broken[broken.count - 2] ^= 1
        #expect(try PylonFrame.decode(e.exchange(broken)).cid2 == PylonReturnCode.checksum.rawValue)
        #expect(e.control("silence 3").hasPrefix("ok"))
        #expect(e.exchange(PylonFrame(address: 3, cid2: 0x42, info: [3]).encoded).isEmpty)
        #expect(e.control("set 2 charge=off cell3=3.65").hasPrefix("ok"))
        #expect(!(try PylonManagement.decode(try ask(2, 0x92, [2]).info)).chargeEnabled)
        #expect(e.control("alarm 2 cell_high").hasPrefix("ok"))
        let alarms = try PylontechReading.alarms(try ask(2, 0x44, [2]).info)
        #expect(alarms == .cellOvervoltage)
    }

    @Test func alarmStatesMapToCanonicalAlarms() throws {
        var a = PylonAlarms(cells: 2, temperatures: 2)
        a.cells = [.aboveUpper, .belowLower]
        a.temperatures = [.normal, .aboveUpper]
        a.chargeCurrent = .aboveUpper
        a.moduleVoltage = .belowLower
        a.dischargeCurrent = .other
        let mapped = try PylontechReading.alarms(PylonInfo.alarms(commandValue: 2, a))
        #expect(mapped == [.cellOvervoltage, .cellUndervoltage, .chargeOvertemperature, .chargeOvercurrent, .packUndervoltage, .internalFault])
        #expect(throws: PylonError.self) { try PylontechReading.alarms([0x11, 0x02, 0x05]) }
    }

    @Test func managementBecomesTheBMSLimits() {
        var r = DriverReading()
        PylontechReading.apply(PylonManagement(chargeVoltage: 53.2, dischargeVoltage: 44.5, chargeCurrent: 37, dischargeCurrent: 74,
                                               chargeEnabled: false, dischargeEnabled: true), to: &r)
        #expect(r.chargeEnabled == false && r.dischargeEnabled == true)
        #expect(r.extra("charge_current_limit") == .number(0), "a disabled direction is a 0 A limit")
        #expect(r.extra("discharge_current_limit") == .number(74))
        #expect(r.extra("charge_voltage_limit") == .number(53.2))
    }

    @Test func refusesBadFramesWithTheReason() {
        #expect(throws: DriverError.self) { try PylontechDriver.decode(frames: [Array("~20024600F07A1102\r".utf8)], options: DriverOptions([])) }
        #expect(throws: DriverError.self) { try PylontechDriver.decode(frames: [PylonFrame(address: 2, cid2: 0x02).encoded], options: DriverOptions([])) }
    }

    @Test func fuzzedAnswersNeverTrap() {
        FuzzBudget.run("pylontech answers") { rng, round in
            var bytes = Self.capture
            for _ in 0..<(1 + round % 4) { bytes = rng.mutation(of: bytes) }
            _ = try? PylontechDriver.decode(frames: [bytes], options: DriverOptions([]))
            var decoder = PylontechFrameDecoder()
            var buffer = bytes
            _ = try? decoder.decode(&buffer)
            let e = try? PylontechEmulator(options: DriverOptions([]))
            _ = e?.exchange(bytes)
        }
    }
}

/// The decoder's hint (ABI 1.3 `read_at_least`): once LENGTH is in, the rest of the frame.
struct PylontechFrameHintTests {
    @Test func hintsAreTheRestOfTheCapture() {
        let frame = PylontechDriverTests.capture
        let (problems, exact) = FrameDecoderCheck.hints(PylontechFrameDecoder(), frame: frame)
        #expect(problems.isEmpty, "\(problems)")
        #expect(exact == frame.count - 13 - 1)
        // A LENGTH whose checksum nibble is wrong is not trusted: one byte at a time.
        var bad = Array(frame.prefix(13))
        bad[9] = UInt8(ascii: "1")
        #expect(PylontechFrameDecoder().bytesWanted(after: bad) == 1)
    }
}
