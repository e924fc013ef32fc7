import BMSDriverKit
import Testing
import BMSGateTestSupport

@testable import JKBMS

/// The JK NW protocol: captured frames from real BMSes with every value asserted, the
/// current rules of both protocol versions, negative temperatures, bad frames, the stream
/// decoder and the emulator.
@Suite struct JKNWFrameTests {
    /// A read-all answer of a 14-cell JK BMS (public capture, esphome-jk-bms protocol notes).
    static let capture14S = Capture.bytes("capture14S")
    /// A read-all answer of a 7-cell JK B1A8S20P (public capture, jkbms-esp32 notes).
    static let capture7S = Capture.bytes("capture7S")

    func decode(_ frames: [[UInt8]], _ options: [(String, String)] = []) throws -> (DriverReading, DriverIdentity) {
        try JKDriver.decode(frames: frames, options: DriverOptions(options))
    }

    func number(_ r: DriverReading, _ name: String) -> Double? {
        if case .number(let n) = r.extra(name) { return n }
        return nil
    }

    @Test func readAllRequestByteForByte() {
        // The request of the protocol notes: read all, terminal 0, from a PC.
        let request = JKNWFrame.request(terminal: 0, .readAll, information: [0x00]).encoded
        #expect(request == Hex.parse("4E 57 00 13 00 00 00 00 06 03 00 00 00 00 00 00 68 00 00 01 29"))
        let read = JKNWFrame.request(terminal: 0x0102_0304, .read, information: [0x90]).encoded
        #expect(Array(read[4..<8]) == [1, 2, 3, 4])
        #expect(read[8] == 0x03 && read[11] == 0x90 && read[read.count - 5] == 0x68)
    }

    @Test func capturedFourteenCellFrameEveryValue() throws {
        let frame = try JKNWFrame.parse(Self.capture14S)
        #expect(frame.terminal == 0 && frame.command == 0x06 && frame.source == 0 && frame.type == 1 && frame.record == 0)
        let (r, id) = try decode([Self.capture14S])
        #expect(r.cells == [3.821, 3.834, 3.831, 3.820, 3.832, 3.834, 3.825, 3.832, 3.811, 3.834, 3.825, 3.835, 3.835, 3.826])
        #expect(r.mosTemperature == 29)
        #expect(r.temperatures == [30, 28])
        #expect(r.voltage == 53.59)
        #expect(r.current == 2.08)  // 0x80D0 with 0xC0 = 1: bit 15 = charging, 208 x 10 mA
        #expect(r.power == 111.47)
        #expect(r.soc == 15)
        #expect(r.cycles == 4)
        #expect(r.fullCapacity == 14)  // 0xB9 is 0: the capacity setting 0xAA
        #expect(r.remainingCapacity == 2.1)
        #expect(r.chargeEnabled == true && r.dischargeEnabled == true)
        #expect(r.alarms.isEmpty && r.status.isEmpty)
        let expected: [(String, Double)] = [
            ("temperature_sensors", 2), ("cycle_capacity", 0), ("cell_count", 14), ("warnings", 0), ("status_bits", 7),
            ("balancer_on", 1), ("total_overvoltage_protection", 56.7), ("total_undervoltage_protection", 42.7),
            ("cell_overvoltage_protection", 4.05), ("cell_overvoltage_recovery", 4.0), ("cell_overvoltage_delay", 5),
            ("cell_undervoltage_protection", 3.05), ("cell_undervoltage_recovery", 3.1), ("cell_undervoltage_delay", 5),
            ("cell_delta_protection", 0.3), ("discharge_overcurrent_protection", 7), ("discharge_overcurrent_delay", 3),
            ("charge_overcurrent_protection", 5), ("charge_overcurrent_delay", 5), ("balance_start_voltage", 3.3),
            ("balance_trigger_delta", 0.008), ("balancing_switch", 1), ("mos_overtemperature_protection", 90),
            ("mos_overtemperature_recovery", 70), ("box_overtemperature_protection", 100), ("box_overtemperature_recovery", 100),
            ("battery_temperature_delta_protection", 20), ("charge_overtemperature_protection", 70),
            ("discharge_overtemperature_protection", 70), ("charge_undertemperature_protection", -20),
            ("charge_undertemperature_recovery", -10), ("discharge_undertemperature_protection", -20),
            ("discharge_undertemperature_recovery", -10), ("cell_count_setting", 14), ("capacity_setting", 14),
            ("charge_mos_switch", 1), ("discharge_mos_switch", 1), ("current_calibration", 1.041), ("board_address", 1),
            ("battery_type", 1), ("sleep_wait_time", 10), ("low_capacity_alarm", 20), ("dedicated_charger_switch", 0),
            ("working_time", 57856), ("current_calibration_start", 0), ("actual_capacity", 0), ("protocol_version", 1),
        ]
        for (name, value) in expected { #expect(number(r, name) == value, "\(name)") }
        #expect(r.extra("device_id") == .text("Input Us"))
        #expect(r.extra("manufacture_date") == .text("2101"))
        #expect(r.extra("software_version") == .text("H6.X__S6.1.3S__"))
        #expect(r.extra("manufacturer_id") == .text("BT3072020120000200521001"))
        #expect(r.extra("parameter_password") == nil)  // never shown
        #expect(id.firmware == "H6.X__S6.1.3S__" && id.serial == "Input Us" && id.model == "BT3072020120000200521001")
        #expect(id.manufacturer == "JK BMS")
    }

    @Test func capturedSevenCellFrameEveryValue() throws {
        let (r, id) = try decode([Self.capture7S])
        #expect(r.cells == [3.794, 3.794, 3.794, 3.794, 3.803, 3.803, 3.803])
        #expect(r.temperatures == [28, 28] && r.mosTemperature == 28)
        #expect(r.voltage == 26.58)
        #expect(r.current == 0)
        #expect(r.soc == 90 && r.cycles == 0)
        #expect(r.fullCapacity == 117 && r.remainingCapacity == 105.3)
        #expect(number(r, "cycle_capacity") == 5 && number(r, "cell_count") == 7)
        #expect(r.chargeEnabled == true && r.dischargeEnabled == true && number(r, "balancer_on") == 0)
        #expect(number(r, "total_overvoltage_protection") == 29.4 && number(r, "total_undervoltage_protection") == 19.74)
        #expect(number(r, "cell_overvoltage_protection") == 4.2 && number(r, "discharge_overcurrent_protection") == 200)
        #expect(number(r, "discharge_overcurrent_delay") == 300 && number(r, "charge_overcurrent_protection") == 25)
        #expect(number(r, "current_calibration") == 0.972 && number(r, "working_time") == 2073)
        #expect(id.firmware == "11.XA_S11.51___")
        #expect(id.model == "Input UserdaJK_B1A8S20P")
    }

    /// A read-all answer built from the seed's tables.
    func frame(current raw: Int, version: UInt8?, temps: [Int] = [25, 24, 23], warnings: Int = 0, status: Int = 3) -> [UInt8] {
        var data = JKNWData()
        data.cells = [(1, 3.300), (2, 3.310), (3, 3.305), (4, 3.295)]
        data.entries = [(0x80, [0, UInt8(temps[0])]), (0x81, [0, UInt8(temps[1])]), (0x82, [0, UInt8(temps[2])]),
                        (0x83, [0x05, 0x28]), (0x84, [UInt8(raw >> 8), UInt8(raw & 0xFF)]), (0x85, [50]),
                        (0x8B, [UInt8(warnings >> 8), UInt8(warnings & 0xFF)]), (0x8C, [UInt8(status >> 8), UInt8(status & 0xFF)])]
        if let version { data.entries.append((0xC0, [version])) }
        return JKNWFrame(terminal: 7, command: 6, source: 0, type: 1, information: data.encoded()).encoded
    }

    @Test func currentUnderBothProtocolVersions() throws {
        // 0xC0 = 1: bit 15 = charging, 10 mA units (the seed's 20 A examples).
        #expect(try decode([frame(current: 0x07D0, version: 1)]).0.current == -20)
        #expect(try decode([frame(current: 0x87D0, version: 1)]).0.current == 20)
        // 0xC0 = 0 or absent: (10000 - raw) x 10 mA, + = charging.
        #expect(try decode([frame(current: 11000, version: 0)]).0.current == -10)
        #expect(try decode([frame(current: 9500, version: nil)]).0.current == 5)
        #expect(try decode([frame(current: 10000, version: 0)]).0.current == 0)
        // The option overrides the frame's version.
        #expect(try decode([frame(current: 11000, version: 1)], [("protocol_version", "0")]).0.current == -10)
        #expect(try decode([frame(current: 11000, version: 1)]).0.current == -110)  // 0x2AF8: bit 15 clear, discharging
        #expect(JKNWReading.current(raw: 0x8001, protocolVersion: 1) == 0.01)
        let r = try decode([frame(current: 9500, version: nil)]).0
        #expect(r.extra("current_rule") == .text("offset_10000"))
        #expect(r.voltage == 13.2 && r.power == 66)
    }

    @Test func negativeTemperatures() throws {
        let r = try decode([frame(current: 10000, version: 0, temps: [101, 110, 100])]).0
        #expect(r.mosTemperature == -1)
        #expect(r.temperatures == [-10, 100])
        let zero = try decode([frame(current: 10000, version: 0, temps: [0, 140, 1])]).0
        #expect(zero.mosTemperature == 0 && zero.temperatures == [-40, 1])
        #expect(JKNWRegister.code(0x80)!.encode(.number(-5)) == [0, 105])
    }

    @Test func warningsBecomeCanonicalAlarms() throws {
        let cases: [(Int, [String])] = [
            (0x0001, ["low_soc"]), (0x0002, ["mos_overtemperature"]), (0x0004, ["pack_overvoltage"]),
            (0x0008, ["pack_undervoltage"]), (0x0010, ["charge_overtemperature", "discharge_overtemperature"]),
            (0x0020, ["charge_overcurrent"]), (0x0040, ["discharge_overcurrent"]), (0x0080, ["cell_imbalance"]),
            (0x0100, ["charge_overtemperature", "discharge_overtemperature"]),
            (0x0200, ["charge_undertemperature", "discharge_undertemperature"]), (0x0400, ["cell_overvoltage"]),
            (0x0800, ["cell_undervoltage"]), (0x1000, ["internal_fault"]), (0x2000, ["internal_fault"]),
        ]
        for (bits, names) in cases {
            let r = try decode([frame(current: 10000, version: 0, warnings: bits)]).0
            #expect(r.alarms.names == names, "warning 0x\(String(bits, radix: 16))")
            #expect(r.status.count == 1)
        }
        let both = try decode([frame(current: 10000, version: 0, warnings: 0x0C00, status: 0x0001)]).0
        #expect(both.alarms.names == ["cell_overvoltage", "cell_undervoltage"])
        #expect(both.status == ["cell over-voltage", "cell under-voltage"])
        #expect(both.chargeEnabled == true && both.dischargeEnabled == false)
    }

    @Test func implausibleTotalsAreReported() throws {
        var data = JKNWData()
        data.cells = [(1, 3.3), (2, 3.3)]
        data.entries = [(0x83, [0x13, 0x88]), (0x84, [0x27, 0x10])]  // 50.00 V for 6.6 V of cells
        let bytes = JKNWFrame(terminal: 0, command: 6, source: 0, type: 1, information: data.encoded()).encoded
        let r = try decode([bytes]).0
        #expect(r.alarms.names == ["sensor_fault"])
        #expect(r.status.first?.hasPrefix("implausible: total voltage 50.0 V") == true)
    }

    @Test func badFramesAreRefusedWithTheReason() {
        var badSum = Self.capture7S
        badSum[badSum.count - 1] ^= 0x01
        #expect(throws: DriverError.checksum("JK NW checksum 0x4d88, expected 0x4d89")) { try JKNWFrame.parse(badSum) }
        #expect(throws: DriverError.frame("truncated JK NW frame: 100 bytes, LENGTH says 264")) { try JKNWFrame.parse(Array(Self.capture7S.prefix(100))) }
        #expect(throws: DriverError.frame("JK NW frame does not start with 4E 57")) { try JKNWFrame.parse([0x55] + Self.capture7S) }
        var badEnd = JKNWFrame.request(terminal: 0, .readAll, information: [0]).encoded
        badEnd[badEnd.count - 5] = 0x69
        #expect(throws: DriverError.self) { try JKNWFrame.parse(badEnd) }
        // A frame that parses but holds an identifier nobody knows.
        let unknown = JKNWFrame(terminal: 0, command: 6, source: 0, type: 1, information: [0x83, 0x14, 0xEF, 0x77, 0x01]).encoded
        #expect(throws: DriverError.frame("frame 1: unknown JK NW identifier 0x77 at byte 3 of the information field")) {
            try JKDriver.decode(frames: [unknown], options: DriverOptions([]))
        }
        let overflow = JKNWFrame(terminal: 0, command: 6, source: 0, type: 1, information: [0x79, 0x09, 0x01, 0x0E]).encoded
        #expect(throws: DriverError.self) { try JKDriver.decode(frames: [overflow], options: DriverOptions([])) }
        #expect(throws: DriverError.self) { try JKDriver.decode(frames: [Self.capture7S], options: DriverOptions([("protocol_version", "7")])) }
    }

    @Test func streamDecoderSkipsJunkAndSplitsFrames() throws {
        let request = JKNWFrame.request(terminal: 0, .readAll, information: [0]).encoded
        let stream = [0x00, 0x4E, 0xFF, 0x4E, 0x4E] + Self.capture7S + [0x13, 0x37] + request + Self.capture14S
        var decoder = JKNWFrameDecoder()
        var buffer: [UInt8] = []
        var frames: [JKNWFrame] = []
        for byte in stream {  // one byte at a time, as a slow line delivers them
            buffer.append(byte)
            while let f = try decoder.decode(&buffer) { frames.append(f) }
        }
        #expect(frames.count == 3)
        #expect(frames.map(\.type) == [1, 0, 1])
        #expect(try JKNWData.parse(frames[2].information).cells.count == 14)
    }

    @Test func fuzzedBytesNeverTrap() {
        FuzzBudget.run("jk nw frames") { rng, round in
            var bytes = rng.bytes(maxLength: 300)
            if round % 3 == 0 { bytes = [0x4E, 0x57, 0x00, UInt8.random(in: 0...255, using: &rng)] + bytes }
            if round % 5 == 0 {
                var f = Self.capture14S
                for _ in 0..<4 { f[Int.random(in: 0..<f.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                bytes = f
            }
            var decoder = JKNWFrameDecoder()
            var buffer = bytes
            while (try? decoder.decode(&buffer)) != nil, !buffer.isEmpty {}
            _ = try? JKDriver.decode(frames: [bytes], options: DriverOptions([]))
            _ = try? JKNWData.parse(bytes)
        }
    }

    @Test func emulatorAnswersReadWriteAndActivation() throws {
        let emulator = try JKEmulator(options: DriverOptions([("addresses", "1,2"), ("cells", "8")]))
        func ask(_ terminal: UInt32, _ command: JKNWFrame.Command, _ info: [UInt8]) throws -> JKNWFrame? {
            var answer = emulator.exchange(JKNWFrame.request(terminal: terminal, command, information: info).encoded)
            var decoder = JKNWFrameDecoder()
            return try decoder.decode(&answer)
        }
        let all = try #require(try ask(2, .readAll, [0]))
        #expect(all.terminal == 2 && all.type == 1 && all.command == 6)
        let r = JKNWReading.build(try JKNWData.parse(all.information))
        #expect(r.cells.count == 8 && r.current == -10.5 && r.soc == 76)
        #expect(r.chargeEnabled == true && r.dischargeEnabled == true)
        #expect(try ask(3, .readAll, [0]) == nil)  // nobody there
        let write = try #require(try ask(1, .write, [0x90, 0x0E, 0x42]))  // 3.650 V
        #expect(write.information == [0x90])
        let read = try #require(try ask(1, .read, [0x90]))
        #expect(read.information == [0x90, 0x0E, 0x42])
        #expect(try ask(1, .write, [0xB7, 0x41]) == nil)  // read-only and wrong size: no answer
        #expect(try ask(1, .activate, [0]) != nil)
        #expect(emulator.control("warn 1 0x0400").hasPrefix("ok"))
        #expect(emulator.control("set 1 temp1=-7 current=12.5").hasPrefix("ok"))
        let after = JKNWReading.build(try JKNWData.parse(try #require(try ask(1, .readAll, [0])).information))
        #expect(after.alarms.names == ["cell_overvoltage"])
        #expect(after.temperatures.first == -7 && after.current == 12.5)
        #expect(emulator.control("silence 1").hasPrefix("ok"))
        #expect(try ask(1, .readAll, [0]) == nil)
        #expect(emulator.control("bogus 1").hasPrefix("error"))
        // The legacy current rule in the emulator too.
        let legacy = try JKEmulator(options: DriverOptions([("protocol_version", "0")]))
        var bytes = legacy.exchange(JKNWFrame.request(terminal: 0, .readAll, information: [0]).encoded)
        var decoder = JKNWFrameDecoder()
        let frame = try #require(try decoder.decode(&bytes))
        #expect(JKNWReading.build(try JKNWData.parse(frame.information)).current == -10.5)
    }
}

/// The decoder's hint (ABI 1.3 `read_at_least`) over the public captures.
@Suite struct JKNWFrameHintTests {
    @Test func hintsAreTheRestOfEachCapture() {
        for frame in [JKNWFrameTests.capture14S, JKNWFrameTests.capture7S] {
            let (problems, exact) = FrameDecoderCheck.hints(JKNWFrameDecoder(), frame: frame)
            #expect(problems.isEmpty, "\(problems)")
            #expect(exact == frame.count - 4 - 1)
        }
    }
}
