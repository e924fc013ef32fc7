import BMSDriverKit
import BMSGateTestSupport
import Testing

@testable import JBD

/// JBD answers captured from real boards, every value asserted.
struct JBDGoldenFrameTests {
    /// An 11S e-bike pack ("SP15S001-P13S-30A"), logged by Jakeler/bms-parser (py/crc.py):
    /// 0x03, 0x04 and 0x05 answers.
    static let ebikeInfo = Capture.bytes("ebikeInfo")
    static let ebikeCells = Capture.bytes("ebikeCells")
    static let ebikeName = Capture.bytes("ebikeName")
    /// A 4S LiFePO4 pack over BLE, from patman15/aiobmsble (tests/bms/test_jbd_bms.py).
    static let lfpInfo = Capture.bytes("lfpInfo")
    static let lfpCells = Capture.bytes("lfpCells")

    @Test func anEbikePack() throws {
        let (r, id) = try JBDDriver.decode(frames: [Self.ebikeInfo, Self.ebikeCells, Self.ebikeName], options: DriverOptions())
        #expect(r.voltage == 44.08 && r.current == 0.98 && r.power == 43.2)
        #expect(r.remainingCapacity == 1.64 && r.fullCapacity == 12 && r.cycles == 0 && r.soc == 14)
        #expect(r.cells == [4.007, 4.005, 4.001, 3.992, 3.998, 4.000, 4.017, 4.027, 4.017, 4.006, 4.007])
        // Balance bits 0x0282: cells 2, 8 and 10.
        #expect(r.balancing == [false, true, false, false, false, false, false, true, false, true, false])
        #expect(r.temperatures == [11.9, 10.1])
        #expect(r.chargeEnabled == true && r.dischargeEnabled == true)
        #expect(r.alarms.isEmpty && r.status.isEmpty)
        #expect(r.extra("production_date") == .text("2019-11-14"))
        #expect(r.extra("software_version") == .text("2.1"))
        #expect(r.extra("protection_bits") == .number(0))
        #expect(id.model == "SP15S001-P13S-30A" && id.manufacturer == "JBD" && id.firmware == "2.1")
    }

    @Test func aLiFePO4PackOverBLE() throws {
        // As 20-byte notification pieces, the way BLE delivers them.
        let pieces = (Self.lfpInfo + Self.lfpCells).chunked(20)
        let (r, _) = try JBDDriver.decode(frames: pieces, options: DriverOptions())
        #expect(r.voltage == 15.6 && r.current == -2.87 && r.soc == 100)
        #expect(r.remainingCapacity == 4.98 && r.fullCapacity == 5 && r.cycles == 42)
        #expect(r.cells == [3.430, 3.425, 3.432, 3.417])
        #expect(r.temperatures == [22.4, 22.3, 21.7])
        #expect(r.balancing == [false, false, false, false])
        #expect(r.extra("production_date") == .text("2022-03-28"))
        #expect(r.extra("software_version") == .text("8.0"))
        #expect(r.chargeEnabled == true && r.dischargeEnabled == true)
    }

    @Test func protectionBitsBecomeCanonicalAlarms() throws {
        var info = try JBDBasicInfo.decode(try JBDFrame.parse(Self.lfpInfo).data)
        info.protection = 0b0001_1111_1111_1111
        var r = DriverReading()
        info.apply(to: &r)
        #expect(r.alarms == [.cellOvervoltage, .cellUndervoltage, .packOvervoltage, .packUndervoltage, .chargeOvertemperature,
                             .chargeUndertemperature, .dischargeOvertemperature, .dischargeUndertemperature, .chargeOvercurrent,
                             .dischargeOvercurrent, .shortCircuit, .internalFault])
        #expect(r.status.count == 13 && r.status.last == "MOSFETs locked by software")
        // The FET bits: bit 0 charge, bit 1 discharge.
        info.protection = 0
        info.chargeEnabled = false
        var off = DriverReading()
        info.apply(to: &off)
        #expect(off.chargeEnabled == false && off.dischargeEnabled == true && off.alarms.isEmpty)
        #expect(try JBDBasicInfo.decode(info.encoded) == info, "the emulator's encoder is the decoder's inverse")
    }

    @Test func badFramesAreRefusedWithTheReason() {
        var badSum = Self.ebikeCells
        badSum[badSum.count - 2] ^= 1
        #expect { try JBDFrame.parse(badSum) } throws: { ($0 as? DriverError)?.message.contains("checksum") == true }
        #expect { try JBDFrame.parse(Array(Self.ebikeCells.prefix(20))) } throws: { ($0 as? DriverError)?.message.contains("truncated") == true }
        var badEnd = Self.ebikeCells
        badEnd[badEnd.count - 1] = 0xDD
        #expect { try JBDFrame.parse(badEnd) } throws: { ($0 as? DriverError)?.message.contains("end byte") == true }
        #expect { try JBDFrame.parse([0x00] + Self.ebikeCells) } throws: { ($0 as? DriverError)?.message.contains("0xDD") == true }
        // A short 0x03 answer (a valid frame whose data is cut).
        let short = JBDFrame(register: 3, data: Array(repeating: 0, count: 10)).encoded
        #expect { try JBDDriver.decode(frames: [short], options: DriverOptions()) } throws: { ($0 as? DriverError)?.message.contains("at least 23") == true }
        // A refused request.
        let refused = JBDFrame(register: 3, status: 0x80, data: []).encoded
        #expect(throws: DriverError.self) { try JBDDriver.decode(frames: [refused], options: DriverOptions()) }
        // The request form and its checksum (the documented read of 0x03).
        #expect(JBDFrame.request(0x03) == [0xDD, 0xA5, 0x03, 0x00, 0xFF, 0xFD, 0x77])
        #expect(JBDFrame.request(0xE1, kind: JBDFrame.write, data: [0x00, 0x02]) == [0xDD, 0x5A, 0xE1, 0x02, 0x00, 0x02, 0xFF, 0x1B, 0x77])
    }

    @Test func theStreamDecoderGivesTheSameFramesHoweverFed() throws {
        let echo = JBDFrame.request(0x03)
        let frames = [echo, Self.ebikeInfo, [0x00, 0x13], Self.ebikeCells]
        let result = try FrameDecoderCheck.frames(frames) { buffer in
            var d = JBDFrameDecoder()
            return try d.decode(&buffer)?.encoded
        }
        #expect(result.oneByte == [Self.ebikeInfo, Self.ebikeCells])
        #expect(result.allAtOnce == result.oneByte && result.perFrame == result.oneByte)
    }

    @Test func fuzzedFramesNeverTrap() {
        var decoded = 0
        FuzzBudget.run("jbd frames") { rng, round in
            var bytes = round % 2 == 0 ? rng.bytes(maxLength: 120) : Self.ebikeInfo
            if round % 2 == 1 {
                for _ in 0..<(1 + Int(rng.next() % 4)) { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
                if bytes.count > 7, Int(bytes[3]) + 7 == bytes.count {
                    let c = JBDFrame.checksum(bytes[2..<(bytes.count - 3)])
                    bytes[bytes.count - 3] = UInt8(c >> 8)
                    bytes[bytes.count - 2] = UInt8(c & 0xFF)
                }
            }
            if (try? JBDDriver.decode(frames: [bytes], options: DriverOptions())) != nil { decoded += 1 }
            var decoder = JBDFrameDecoder()
            var buffer = bytes
            _ = try? decoder.decode(&buffer)
        }
        #expect(decoded > 0)
    }
}

extension Array {
    func chunked(_ size: Int) -> [[Element]] { stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) } }
}

/// The decoder's hint (ABI 1.3 `read_at_least`) over the captures.
@Suite struct JBDFrameHintTests {
    @Test func hintsAreTheRestOfEachCapture() {
        for frame in [JBDGoldenFrameTests.ebikeInfo, JBDGoldenFrameTests.ebikeCells, JBDGoldenFrameTests.lfpInfo] {
            let (problems, exact) = FrameDecoderCheck.hints(JBDFrameDecoder(), frame: frame)
            #expect(problems.isEmpty, "\(problems)")
            #expect(exact == frame.count - 4 - 1)
        }
    }
}
