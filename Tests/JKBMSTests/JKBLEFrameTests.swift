import BMSDriverKit
import Testing
import BMSGateTestSupport

@testable import JKBMS

/// JK BLE frames of each firmware generation from public captures, every value asserted;
/// reassembly of notification fragments (20, 128, 185 bytes) with junk between answers;
/// layout detection and the refusal of implausible values.
@Suite struct JKBLEFrameTests {
    func decode(_ chunks: [[UInt8]], _ options: [(String, String)] = []) throws -> (DriverReading, DriverIdentity) {
        try JKDriver.decode(frames: chunks, options: DriverOptions(options))
    }

    func number(_ r: DriverReading, _ name: String) -> Double? {
        if case .number(let n) = r.extra(name) { return n }
        return nil
    }

    @Test func commandFramesByteForByte() {
        #expect(JKBLEFrame.command(0x97) == Hex.parse("AA 55 90 EB 97 00 00 00 00 00 00 00 00 00 00 00 00 00 00 11"))
        #expect(JKBLEFrame.command(0x96) == Hex.parse("AA 55 90 EB 96 00 00 00 00 00 00 00 00 00 00 00 00 00 00 10"))
        let write = JKBLEFrame.command(0x1D, value: 0x0102_0304, length: 4)
        #expect(Array(write[4..<10]) == [0x1D, 4, 4, 3, 2, 1] && write.count == 20)
    }

    @Test func deviceInfoEveryField() throws {
        let info = try JKBLEDeviceInfo(JKBLECaptures.deviceInfo32S)
        #expect(info.model == "JK_BD4A8S4P")
        #expect(info.hardwareVersion == "15A")
        #expect(info.softwareVersion == "15.26")
        #expect(info.uptime == 1_631_100)
        #expect(info.powerOnCount == 1)
        #expect(info.deviceName == "abcdefgh")
        #expect(info.devicePasscode == "1234")
        #expect(info.manufacturingDate == "240818")
        #expect(info.serialNumber == "40531310629")
        #expect(info.passcode == "000")
        #expect(info.userData == "JK-BMS")
        #expect(info.setupPasscode == "123456789")
        #expect(info.userData2 == "JK-BMS")
        #expect(info.layout == .jk02_32S)
    }

    @Test func jk02_32SCellInfoEveryValue() throws {
        let (r, id) = try decode([JKBLECaptures.deviceInfo32S, JKBLECaptures.cellInfo32S])
        #expect(r.cells == [2.384, 2.384, 2.384, 2.384, 2.384, 2.383])
        #expect(r.voltage == 14.306 && r.current == 0.156 && r.power == 2.232)
        #expect(r.temperatures == [23.8, 24.3] && r.mosTemperature == 25.9)
        #expect(r.soc == 100 && r.soh == 100)
        #expect(r.remainingCapacity == 12 && r.fullCapacity == 12 && r.cycles == 1)
        #expect(r.chargeEnabled == true && r.dischargeEnabled == true)
        #expect(r.alarms.isEmpty && r.status.isEmpty)
        #expect((1...6).map { number(r, "cell_resistance_\($0)") } == [0.138, 0.137, 0.14, 0.138, 0.139, 0.139])
        #expect(number(r, "cycle_capacity") == 16.646 && number(r, "up_time") == 1_539_196)
        #expect(number(r, "balance_current") == 0 && number(r, "enabled_cells_mask") == 63)
        #expect(r.extra("protocol_version") == .text("JK02_32S"))
        // Device info rides along; passcodes are never published.
        #expect(number(r, "power_on_count") == 1 && number(r, "device_up_time") == 1_631_100)
        #expect(r.extra("device_name") == .text("abcdefgh") && r.extra("manufacturing_date") == .text("240818"))
        #expect(r.extra("setup_passcode") == .text("****") && r.extra("device_passcode") == .text("****"))
        #expect(id.model == "JK_BD4A8S4P" && id.hardware == "15A" && id.firmware == "15.26" && id.serial == "40531310629")
    }

    @Test func jk02_24SCellInfoEveryValue() throws {
        let (r, _) = try decode([JKBLECaptures.cellInfo24S], [("protocol_version", "JK02_24S")])
        #expect(r.cells == [3.327, 3.329, 3.329, 3.329, 3.329, 3.329, 3.327, 3.329, 3.329, 3.329, 3.327, 3.327, 3.329, 3.329, 3.329, 3.329])
        #expect(r.voltage == 53.252 && r.current == 0 && r.power == 0)
        #expect(r.temperatures == [19.0, 19.1] && r.mosTemperature == 21.0)
        #expect(r.soc == 84 && r.remainingCapacity == 68.494 && r.fullCapacity == 81 && r.cycles == 0)
        #expect(number(r, "cycle_capacity") == 1.085 && number(r, "up_time") == 1_049_546)
        #expect(number(r, "cell_resistance_1") == 0.413 && number(r, "cell_resistance_16") == 0.389)
        #expect(number(r, "enabled_cells_mask") == 65535)
        #expect(r.chargeEnabled == true && r.dischargeEnabled == true)
    }

    @Test func jk04CellInfoEveryValue() throws {
        let (r, _) = try decode([JKBLECaptures.cellInfoJK04], [("protocol_version", "jk04")])
        #expect(r.cells == [3.35, 3.354, 3.353, 3.353, 3.354, 3.353, 3.353, 3.353, 3.354, 3.353, 3.353, 3.353, 3.353, 3.354, 3.351, 3.351])
        #expect(r.voltage == 53.645)
        #expect(number(r, "cell_resistance_1") == 0.159 && number(r, "cell_resistance_16") == 0.119)
        #expect(number(r, "average_cell_voltage") == 3.353 && number(r, "delta_cell_voltage") == 0.004)
        #expect(number(r, "balancing_action") == 0 && number(r, "up_time") == 1_873_491)
    }

    @Test func layoutIsGuessedAndAWrongOneIsRefused() throws {
        #expect(try decode([JKBLECaptures.cellInfo24S]).0.status == ["layout JK02_24S guessed (no device-info answer)"])
        #expect(try decode([JKBLECaptures.cellInfoJK04]).0.status == ["layout JK04 guessed (no device-info answer)"])
        #expect(try decode([JKBLECaptures.cellInfo32S]).0.status == ["layout JK02_32S guessed (no device-info answer)"])
        // Forced or detected wrongly: an error, never numbers that look real.
        for (frame, wrong) in [(JKBLECaptures.cellInfo24S, "JK02_32S"), (JKBLECaptures.cellInfoJK04, "JK02_24S"),
                               (JKBLECaptures.cellInfo32S, "JK04")] {
            do {
                _ = try decode([frame], [("protocol_version", wrong)])
                Issue.record("\(wrong) accepted for a frame of another generation")
            } catch let error as DriverError {
                #expect(error.message.contains("implausible as \(wrong)"), "\(error.message)")
            }
        }
        #expect(throws: DriverError.self) { try decode([JKBLECaptures.cellInfo24S], [("protocol_version", "JK99")]) }
    }

    /// The answers cut into MTU-sized notifications with junk between answers.
    func fragmented(_ size: Int) -> [[UInt8]] {
        let stream = [0x41, 0x54, 0x0D, 0x0A] + JKBLECaptures.deviceInfo32S + Array(repeating: 0x00, count: 20)  // "AT\r\n" + 320-byte tail
            + [0x55, 0xAA, 0x13] + JKBLECaptures.cellInfo32S
        return stride(from: 0, to: stream.count, by: size).map { Array(stream[$0..<min($0 + size, stream.count)]) }
    }

    @Test(arguments: [20, 128, 185])
    func fragmentsAreReassembled(size: Int) throws {
        let (r, id) = try decode(fragmented(size))
        #expect(r.cells.count == 6 && r.voltage == 14.306 && id.firmware == "15.26")
        #expect(r.status.isEmpty)  // the device info chose the layout
        var assembler = JKBLEAssembler()
        var buffer: [UInt8] = []
        var answers = 0
        for chunk in fragmented(size) {
            buffer += chunk
            while try assembler.decode(&buffer) != nil { answers += 1 }
        }
        #expect(answers == 2)
    }

    @Test func badAnswersAreRefused() {
        var bad = JKBLECaptures.cellInfo32S
        bad[100] ^= 0xFF
        #expect(throws: DriverError.checksum("JK BLE checksum 0x26, expected 0x25")) { try JKBLEFrame.check(bad) }
        #expect(throws: DriverError.self) { try self.decode([bad]) }
        #expect(throws: DriverError.self) { try self.decode([Array(JKBLECaptures.cellInfo32S.prefix(200))]) }
        #expect(throws: DriverError.frame("truncated JK BLE answer: 10 bytes, 300 needed")) { try JKBLEFrame.check(Array(JKBLECaptures.cellInfo32S.prefix(10))) }
    }

    @Test func fuzzedNotificationsNeverTrap() {
        FuzzBudget.run("jk ble notifications") { rng, round in
            var bytes = rng.bytes(maxLength: 400)
            if round % 2 == 0 {
                var f = [JKBLECaptures.cellInfo24S, JKBLECaptures.cellInfoJK04, JKBLECaptures.cellInfo32S][round % 3]
                for _ in 0..<3 { f[Int.random(in: 4..<299, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                f[299] = JKBLEFrame.sum8(f[..<299])  // valid sum, mangled content
                bytes = f
            }
            _ = try? decode([bytes])
            for layout in JKBLELayout.allCases { _ = try? JKBLECellInfo.decode(bytes, layout: layout) }
            _ = try? JKBLEDeviceInfo(bytes)
        }
    }
}

/// JK02 settings answers (type 0x01) into extras.
@Suite struct JKBLESettingsTests {
    /// The first 142 bytes of a JK02_24S settings answer published in the esphome-jk-bms
    /// notes (a 13S NMC pack); the rest zero, the checksum recomputed.
    static let capture: [UInt8] = {
        let head = Hex.parse("""
            55 AA EB 90 01 4F 58 02 00 00 54 0B 00 00 80 0C 00 00 CC 10 00 00 68 10 00 00 0A 00 00 00 00 00 00 00 00 00 00 00 00 00
            00 00 00 00 00 00 F0 0A 00 00 A8 61 00 00 1E 00 00 00 3C 00 00 00 F0 49 02 00 2C 01 00 00 3C 00 00 00 3C 00 00 00 D0 07
            00 00 BC 02 00 00 58 02 00 00 BC 02 00 00 58 02 00 00 38 FF FF FF 9C FF FF FF 84 03 00 00 BC 02 00 00 0D 00 00 00 01 00
            00 00 01 00 00 00 01 00 00 00 88 13 00 00 DC 05 00 00 E4 0C 00 00
            """)!
        var f = head + [UInt8](repeating: 0, count: 300 - head.count)
        f[299] = JKBLEFrame.sum8(f[..<299])
        return f
    }()

    @Test func everySettingOfTheCapture() throws {
        let s = Dictionary(uniqueKeysWithValues: try JKBLESettings.decode(Self.capture))
        let expected: [String: Double] = [
            "smart_sleep_voltage": 0.6, "cell_undervoltage_protection": 2.9, "cell_undervoltage_recovery": 3.2,
            "cell_overvoltage_protection": 4.3, "cell_overvoltage_recovery": 4.2, "balance_trigger_voltage": 0.01,
            "soc_100_voltage": 0, "soc_0_voltage": 0, "cell_request_charge_voltage": 0, "cell_request_float_voltage": 0,
            "power_off_voltage": 2.8, "max_charge_current": 25, "charge_overcurrent_delay": 30, "charge_overcurrent_recovery_time": 60,
            "max_discharge_current": 150, "discharge_overcurrent_delay": 300, "discharge_overcurrent_recovery_time": 60,
            "short_circuit_recovery_time": 60, "max_balance_current": 2, "charge_overtemperature_protection": 70,
            "charge_overtemperature_recovery": 60, "discharge_overtemperature_protection": 70, "discharge_overtemperature_recovery": 60,
            "charge_undertemperature_protection": -20, "charge_undertemperature_recovery": -10, "mos_overtemperature_protection": 90,
            "mos_overtemperature_recovery": 70, "nominal_capacity": 5, "balance_start_voltage": 3.3, "cell_count_setting": 13,
            "charge_switch": 1, "discharge_switch": 1, "balancer_switch": 1,
        ]
        #expect(s.count == expected.count)
        for (name, value) in expected { #expect(s[name] == value, "\(name)") }
    }

    @Test func decodeTakesSettingsWithCellInfo() throws {
        let (r, _) = try JKDriver.decode(frames: [Self.capture, JKBLECaptures.cellInfo24S], options: DriverOptions([("protocol_version", "JK02_24S")]))
        #expect(r.extra("cell_overvoltage_protection") == .number(4.3) && r.extra("max_discharge_current") == .number(150))
        #expect(throws: DriverError.self) { try JKBLESettings.decode(JKBLECaptures.cellInfo24S) }
    }
}

/// The BLE assembler checked like a streaming decoder (bytes one at a time, all at once,
/// answer by answer) and fed seeded random input, with the shared test-support helpers.
@Suite struct JKBLEAssemblerStreamTests {
    @Test func theSameAnswersHoweverTheBytesArrive() throws {
        var assembler = JKBLEAssembler()
        let frames = [JKBLECaptures.deviceInfo32S, [0x55, 0xAA, 0x13] + JKBLECaptures.cellInfo32S, JKBLECaptures.cellInfo24S]
        let fed = try FrameDecoderCheck.frames(frames) { buffer in try assembler.decode(&buffer) }
        #expect(fed.allAtOnce.count == 3)
        #expect(fed.oneByte == fed.allAtOnce && fed.perFrame == fed.allAtOnce)
        #expect(fed.allAtOnce[0] == JKBLECaptures.deviceInfo32S && fed.allAtOnce[2] == JKBLECaptures.cellInfo24S)
    }

    @Test func randomAndMutatedInputNeverTraps() {
        var fuzz = Fuzz(seed: 0x4A4B_424C)
        var decoded = 0
        for round in 0..<2000 {
            var assembler = JKBLEAssembler()
            var buffer = round % 2 == 0 ? fuzz.bytes(maxLength: 700) : fuzz.mutation(of: JKBLECaptures.cellInfo32S)
            while let answer = try? assembler.decode(&buffer) {
                decoded += 1
                // Whatever comes out is framed like an answer (the checksum is checked later).
                #expect(answer.starts(with: [0x55, 0xAA, 0xEB, 0x90]) && answer.count >= 300, "seed round \(round)")
                _ = try? JKBLEFrame.check(answer)
            }
        }
        print("JK BLE assembler fuzz: 2000 inputs, \(decoded) framed answers, no trap")
    }
}

/// Firmware 19.x serial numbers (15 characters) are read whole (hardening issue).
@Suite struct JKBLESerialNumberTests {
    /// The published 32S device-info capture, changed to firmware 19.10 with a 15-character
    /// serial number (checksum recomputed).
    func frame(software: String, serial: String) -> [UInt8] {
        var f = JKBLECaptures.deviceInfo32S
        for i in 30..<38 { f[i] = 0 }
        for (i, b) in software.utf8.enumerated() { f[30 + i] = b }
        for i in 86..<102 { f[i] = 0 }
        for (i, b) in serial.utf8.enumerated() { f[86 + i] = b }
        f[299] = JKBLEFrame.sum8(f[..<299])
        return f
    }

    @Test func aFifteenCharacterSerialIsReadWhole() throws {
        let info = try JKBLEDeviceInfo(frame(software: "19.10", serial: "406230131050012"))
        #expect(info.serialNumber == "406230131050012")
        #expect(info.passcode == "")
        #expect(info.identity.serial == "406230131050012")
        // Older firmware: 11 characters, the passcode right after it.
        let old = try JKBLEDeviceInfo(JKBLECaptures.deviceInfo32S)
        #expect(old.serialNumber == "40531310629" && old.passcode == "000")
    }
}
