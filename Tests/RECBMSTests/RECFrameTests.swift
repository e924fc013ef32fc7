import BMSDriverKit
import Foundation
import Testing
import BMSGateTestSupport

@testable import RECBMS

/// REC framing, answers decoded from frames built byte by byte, the instruction set as data,
/// and the emulator answering the driver's requests.
@Suite struct RECFrameTests {
    static let set: RECInstructionSet = {
        let root = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        return try! RECInstructionSet.load(path: root + "/Plugins/RECBMS/Driver/rec-bms-instructionset.json")
    }()

    func float(_ v: Float) -> [UInt8] {
        let b = v.bitPattern
        return [UInt8(b & 0xFF), UInt8(b >> 8 & 0xFF), UInt8(b >> 16 & 0xFF), UInt8(b >> 24)]
    }

    func answer(_ message: [UInt8], from address: UInt8 = 1) -> RECFrame {
        RECFrame(destination: 0, source: address, message: message)
    }

    @Test func crcIsCRC16ARC() {
        #expect(RECFrame.crc16(Array("123456789".utf8)) == 0xBB3D)  // the CRC-16/ARC check value
        #expect(RECFrame.crc16([]) == 0)
    }

    @Test func requestFrameByteForByte() throws {
        let frame = RECFrame.request(address: 1, "LCD1?")
        #expect(frame == [0x55, 0x01, 0x00, 0x05, 0x4C, 0x43, 0x44, 0x31, 0x3F, 0x46, 0xD0, 0xAA])
        let parsed = try RECFrame.parse(frame)
        #expect(parsed.destination == 1 && parsed.source == 0 && parsed.text == "LCD1?")
        #expect(RECFrame.request(address: 3, "BVOL 3.9") .count == 8 + 7)
    }

    @Test func badFramesAreRefusedWithTheReason() {
        var good = RECFrame.request(address: 1, "LCD1?")
        #expect(throws: DriverError.frame("truncated frame: 11 bytes, LEN says 12")) { try RECFrame.parse(Array(good.dropLast())) }
        #expect(throws: DriverError.frame("frame does not start with 0x55")) { try RECFrame.parse(Array(good.dropFirst())) }
        var badEnd = good
        badEnd[badEnd.count - 1] = 0xAB
        #expect(throws: DriverError.frame("frame does not end with 0xAA (found 0xab)")) { try RECFrame.parse(badEnd) }
        good[5] ^= 0x01  // a flipped bit in the message
        #expect(throws: DriverError.self) { try RECFrame.parse(good) }
        do { _ = try RECFrame.parse(good) } catch { #expect(error.status == DriverError.checksum("").status) }
    }

    @Test func streamDecoderSkipsJunkAndSplitsFrames() throws {
        let a = answer(Array("28".utf8)).encoded, b = answer([1, 2, 3, 4]).encoded
        var buffer: [UInt8] = [0x00, 0xAA, 0x13] + a + [0x55, 0x07] + b  // junk, a frame, a false start, a frame
        var decoder = RECFrameDecoder()
        #expect(try decoder.decode(&buffer)?.text == "28")
        #expect(try decoder.decode(&buffer)?.message == [1, 2, 3, 4])
        #expect(try decoder.decode(&buffer) == nil)
        // Byte at a time.
        var stream: [UInt8] = []
        var got: [RECFrame] = []
        for byte in a + b {
            stream.append(byte)
            if let f = try decoder.decode(&stream) { got.append(f) }
        }
        #expect(got.count == 2)
    }

    /// SoC and SoH scale by the unit the instruction set documents ("Percent": a fraction
    /// 0...1, as its SOCS entry says), never by the value: a pack at 1.2 % sends 0.012; a
    /// value of 1.2 is no fraction and is not published as 120 %.
    @Test func socScalesByTheDocumentedUnit() throws {
        let lcd1 = try #require(Self.set.instruction("LCD1"))
        #expect(lcd1.fields.map(\.unit).filter { $0 == "Percent" }.count == 2)
        func reading(soc: Float, soh: Float) throws -> DriverReading {
            let data = float(3.301) + float(3.412) + float(-12.5) + float(23.5) + float(46.27) + float(soc) + float(soh)
            let decoded = try RECAnswer.decode(lcd1, frames: [answer(Array("28".utf8)), answer(data)])
            return RECReading.build(set: Self.set, core: ["LCD1": decoded], cache: [:])
        }
        let low = try reading(soc: 0.012, soh: 1)
        #expect(low.soc == 1.2 && low.soh == 100 && low.status.isEmpty)
        let odd = try reading(soc: 1.2, soh: 0.98)
        #expect(odd.soc == nil && odd.soh == 98)
        #expect(odd.status == ["LCD1 SoC 1.2 is outside the range of its documented unit (a fraction 0-1): not published"])
        #expect(RECReading.percent(55, unit: "%") == 55 && RECReading.percent(0.55, unit: "Percent") == 55)
        #expect(RECReading.percent(-0.1, unit: "Percent") == nil && RECReading.percent(101, unit: "%") == nil)
    }

    @Test func lcd1EveryValue() throws {
        let lcd1 = try #require(Self.set.instruction("LCD1"))
        let data = float(3.301) + float(3.412) + float(-12.5) + float(23.5) + float(46.27) + float(0.725) + float(0.98)
        let frames = [answer(Array("28".utf8)), answer(data)]
        #expect(try RECAnswer.framesNeeded(lcd1, first: frames[0]) == 2)
        let decoded = try RECAnswer.decode(lcd1, frames: frames)
        #expect(decoded == .array(RECArray(count: 28, fixed: [3.301, 3.412, -12.5, 23.5, 46.27, 0.725, 0.98], units: [])))
        let r = RECReading.build(set: Self.set, core: ["LCD1": decoded], cache: [:])
        #expect(r.voltage == 46.27)
        #expect(r.current == -12.5)
        #expect(r.soc == 72.5)
        #expect(r.soh == 98)
        #expect(r.extra("max_temperature") == .number(23.5))
        #expect(r.extra("min_cell_voltage") == .number(3.301))
        #expect(r.extra("max_cell_voltage") == .number(3.412))
        #expect(r.power == -578.38)
        // A data frame of the wrong size is refused.
        #expect(throws: DriverError.self) { try RECAnswer.decode(lcd1, frames: [answer(Array("28".utf8)), answer(Array(data.prefix(24)))]) }
        #expect(throws: DriverError.self) { try RECAnswer.decode(lcd1, frames: [answer(Array("x".utf8)), answer(data)]) }
    }

    @Test func multiBMSCellsTemperaturesAndErrors() throws {
        let cell = try #require(Self.set.instruction("CELL"))
        let frames = [answer(Array("2".utf8)), answer(float(3.30) + float(3.31)), answer(float(3.32) + float(3.29))]
        #expect(try RECAnswer.framesNeeded(cell, first: frames[0]) == 3)
        let cells = try RECAnswer.decode(cell, frames: frames)
        let ptem = try RECAnswer.decode(try #require(Self.set.instruction("PTEM")),
                                        frames: [answer(Array("2".utf8)), answer(float(-5.5)), answer(float(21))])
        let erro = try RECAnswer.decode(try #require(Self.set.instruction("ERRO")),
                                        frames: [answer(Array("4".utf8)), answer([1, 2, 1, 7])])
        let r = RECReading.build(set: Self.set, core: ["CELL": cells, "PTEM": ptem, "ERRO": erro], cache: [:])
        #expect(r.cells == [3.30, 3.31, 3.32, 3.29])
        #expect(r.extra("bms_units") == .number(2))
        #expect(r.extra("unit_1_cells") == .number(2) && r.extra("unit_2_cells") == .number(2))
        #expect(r.temperatures == [-5.5, 21])
        #expect(r.alarms == .cellOvervoltage)
        #expect(r.status == ["REC error 1: cell voltage too high (cell over-voltage switch-off) (BMS unit 2, cell/sensor 7)"])
        // Fewer unit frames than announced: refused.
        #expect(throws: DriverError.self) { try RECAnswer.decode(cell, frames: Array(frames.prefix(2))) }
    }

    @Test func everyDocumentedErrorNumberHasItsMeaning() throws {
        let erro = try #require(Self.set.instruction("ERRO"))
        func decoded(_ number: UInt8, flag: UInt8 = 1) throws -> DriverReading {
            let a = try RECAnswer.decode(erro, frames: [answer(Array("4".utf8)), answer([flag, 1, number, 3])])
            return RECReading.build(set: Self.set, core: ["ERRO": a], cache: [:])
        }
        // The REC manual's table: each state's alarm is the block the BMS itself applies.
        let expected: [UInt8: Alarms] = [
            1: .cellOvervoltage, 2: .cellUndervoltage, 3: .cellImbalance,
            4: [.chargeOvertemperature, .dischargeOvertemperature], 5: .mosOvertemperature,
            6: .internalFault, 7: .chargeUndertemperature, 8: .sensorFault, 9: .communication,
            10: [.shortCircuit, .internalFault], 11: .internalFault,
        ]
        for number in UInt8(1)...16 {
            let r = try decoded(number)
            let status = try #require(r.status.first)
            #expect(status.hasPrefix("REC error \(number): "))
            #expect(status.hasSuffix("(BMS unit 1, cell/sensor 3)"))
            #expect(r.alarms == (expected[number] ?? .internalFault), "error \(number)")
            #expect(!r.alarms.isEmpty, "error \(number) must block like the BMS does")
            if number >= 12 { #expect(status.contains("no public REC text")) }
        }
        #expect(try decoded(7).status == ["REC error 7: temperature too low for charging (under-temperature charging disable) (BMS unit 1, cell/sensor 3)"])
        #expect(try decoded(8).status == ["REC error 8: temperature sensor error (unplugged or not working) (BMS unit 1, cell/sensor 3)"])
        // Outside the documented range: named as such, still a fault.
        let odd = try decoded(17)
        #expect(odd.status.first?.contains("outside the instruction set's range 1-16") == true)
        #expect(odd.alarms == .internalFault)
        // Flag 0: no error, whatever the other bytes say.
        let none = try decoded(9, flag: 0)
        #expect(none.status.isEmpty && none.alarms.isEmpty)
    }

    @Test func settingsAndTextsFromTheInstructionSet() throws {
        let bvol = try #require(Self.set.instruction("BVOL"))
        #expect(bvol.handler == .range && !bvol.readOnly && bvol.range == 2.5...4.3)
        #expect(bvol.extraName == "balance_end")
        #expect(try #require(Self.set.instruction("CANF")).extraName == "canbus_frequency")
        #expect(try RECAnswer.decode(bvol, frames: [answer(Array("3.58".utf8))]) == .number(3.58))
        #expect(throws: DriverError.self) { try RECAnswer.decode(bvol, frames: [answer(Array("abc".utf8))]) }
        let idn = try #require(Self.set.instruction("*IDN"))
        #expect(try RECAnswer.decode(idn, frames: [answer(Array("REC BMS 1Q".utf8))]) == .text("REC BMS 1Q"))
        // Config from the file: serial and session rules.
        #expect(Self.set.baud == 38400 && Self.set.throttleMs == 500 && Self.set.sessionTimeoutMs == 1000 && Self.set.retries == 4)
        #expect(Self.set.cellCount == 14 && Self.set.mqttIntervalSeconds == 30)
        // Every read instruction of the file has a handler the driver decodes.
        let reads = Self.set.instructions.map(\.code)
        for code in ["*IDN", "LCD1", "LCD3", "CELL", "PTEM", "RINT", "BTEM", "ERRO", "SWVR", "HWVR", "BVOL", "CANF", "VMAX", "VMIN", "REFC"] {
            #expect(reads.contains(code), "\(code)")
        }
    }

    /// The emulator answers every read instruction of the set, and the answers decode.
    @Test func emulatorAnswersEveryInstruction() throws {
        let emulator = try RECEmulator(options: DriverOptions([("addresses", "1,2"), ("units", "2"), ("cells", "4"),
                                                               ("instructions", "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/") + "/Plugins/RECBMS/Driver/rec-bms-instructionset.json")]))
        var answers: [String: RECAnswer] = [:]
        for instruction in Self.set.instructions {
            var out = emulator.exchange(RECFrame.request(address: 2, instruction.code + "?"))
            var frames: [RECFrame] = []
            var decoder = RECFrameDecoder()
            while let f = try decoder.decode(&out) { frames.append(f) }
            #expect(frames.allSatisfy { $0.source == 2 && $0.destination == 0 }, "\(instruction.code)")
            answers[instruction.code] = try RECAnswer.decode(instruction, frames: frames)
        }
        let r = RECReading.build(set: Self.set, core: answers, cache: [:])
        #expect(r.cells.count == 8)
        #expect(r.temperatures.count == 4)
        #expect(r.fullCapacity == 280)
        #expect(r.extra("cell_resistance_8") != nil)
        // A write within range is stored; out of range is not.
        var out = emulator.exchange(RECFrame.request(address: 2, "BVOL 3.9"))
        var decoder = RECFrameDecoder()
        #expect(try decoder.decode(&out)?.text == "3.9")
        out = emulator.exchange(RECFrame.request(address: 2, "BVOL 9"))
        #expect(try decoder.decode(&out)?.text == "3.9")
        #expect(emulator.control("error 2 4 1 3").hasPrefix("ok"))
        #expect(emulator.control("silence 2").hasPrefix("ok"))
        #expect(emulator.exchange(RECFrame.request(address: 2, "LCD1?")).isEmpty)
        #expect(emulator.exchange(RECFrame.request(address: 1, "LCD1?")).count > 0)
    }

    @Test func fuzzedBytesNeverTrap() {
        var decoder = RECFrameDecoder()
        let lcd1 = RECFrameTests.set.instruction("LCD1")!
        let good = RECFrame.request(address: 1, "LCD1?")
        FuzzBudget.run("rec frames") { rng, round in
            var bytes = round % 2 == 0 ? rng.bytes(maxLength: 80) : rng.mutation(of: good)
            if Bool.random(using: &rng) { bytes = [0x55] + bytes }
            _ = try? decoder.decode(&bytes)
            let frames = [RECFrame(destination: 0, source: 1, message: bytes)]
            _ = try? RECAnswer.decode(lcd1, frames: frames + frames)
        }
    }
}

/// The decoder's hint (ABI 1.3 `read_at_least`).
@Suite struct RECFrameHintTests {
    @Test func hintsAreTheRestOfAFrame() {
        let frame = RECFrame(destination: 0, source: 1, message: Array("3.312,3.315,3.301,3.298".utf8)).encoded
        let (problems, exact) = FrameDecoderCheck.hints(RECFrameDecoder(), frame: frame)
        #expect(problems.isEmpty, "\(problems)")
        #expect(exact == frame.count - 4 - 1)
    }
}
