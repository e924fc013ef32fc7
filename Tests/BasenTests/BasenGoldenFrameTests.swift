import BMSDriverKit
import BMSGateTestSupport
import Testing

@testable import Basen

/// The seed's sample info response (shared/seeds/basen-bms-esphome.md), captured from a
/// Basengreen 48V DIY kit BMS (HY-CW007-B200LT55-V1.0.0) at address 1.
let seedInfoFrame = Capture.bytes("seedInfoFrame")

let seedCells = [3.396, 3.393, 3.392, 3.393, 3.392, 3.391, 3.392, 3.393,
                 3.395, 3.394, 3.394, 3.394, 3.395, 3.394, 3.394, 3.397]

/// Asserts every value of the seed frame.
func expectSeedValues(_ r: DriverReading) {
    #expect(r.cells == seedCells)
    #expect(r.balancing == Array(repeating: false, count: 16))
    #expect(r.current == 0)
    #expect(r.power == 0)
    #expect(r.soc == 99.99)
    #expect(r.fullCapacity == 280)
    #expect(r.temperatures == [21, 22, 22, 21])
    #expect(r.mosTemperature == 22)
    #expect(r.ambientTemperature == 25)
    #expect(r.cycles == 28)
    #expect(r.voltage == 54.29)
    #expect(r.soh == 100)
    #expect(r.alarms == [])
    #expect(r.status == [])
    #expect(r.extra("status_bitmask") == .text("00:00:00:00:00:00:00:00:00:00"))
    #expect(r.extra("error_bitmask") == .number(0))
    #expect(r.extra("status_text") == .text("Idle"))
    #expect(r.extra("cell_min_index") == .number(6))
    #expect(r.extra("cell_max_index") == .number(16))
    #expect(r.extra("info_0x0b") == .number(0x1a05))
    #expect(r.extra("info_0x10") == .number(0x044ba2))
}

@Suite struct BasenGoldenFrameTests {
    @Test func seedFrameDecodesEveryValue() throws {
        let frame = try BasenFrame.parse(seedInfoFrame)
        #expect(frame.address == 1)
        #expect(frame.command == BasenCommand.info)
        #expect(frame.data.count == 0x7c)
        var reading = DriverReading()
        try BasenInfo.decode(frame.data, into: &reading)
        expectSeedValues(reading)
    }

    @Test func decodeEntryPointGivesTheSameReading() throws {
        let (reading, identity) = try BasenDriver.decode(frames: [seedInfoFrame], options: DriverOptions())
        expectSeedValues(reading)
        #expect(reading.extra("address") == .number(1))
        #expect(identity == DriverIdentity())
    }

    @Test func badChecksumIsRejected() {
        var bad = seedInfoFrame
        bad[bad.count - 2] = 0x61
        #expect(throws: DriverError.checksum("checksum 0x61, expected 0x62")) { try BasenFrame.parse(bad) }
    }

    @Test func corruptPayloadByteFailsTheChecksum() {
        var bad = seedInfoFrame
        bad[10] ^= 0x01
        #expect(throws: DriverError.self) { try BasenFrame.parse(bad) }
    }

    @Test func truncatedFrameIsRejected() {
        let short = Array(seedInfoFrame.prefix(60))
        #expect(throws: DriverError.frame("truncated frame: 60 bytes, header says 130")) { try BasenFrame.parse(short) }
        #expect(throws: DriverError.self) { try BasenDriver.decode(frames: [short], options: DriverOptions()) }
    }

    @Test func wrongEndByteIsRejected() {
        var bad = seedInfoFrame
        bad[bad.count - 1] = 0x0A
        #expect(throws: DriverError.self) { try BasenFrame.parse(bad) }
    }

    @Test func frameForAnotherAddressKeepsItsAddress() throws {
        var other = seedInfoFrame
        other[1] = 0x02
        other[other.count - 2] = BasenFrame.checksum(other[0..<(other.count - 2)])
        let frame = try BasenFrame.parse(other)
        #expect(frame.address == 2)
        let (reading, _) = try BasenDriver.decode(frames: [other], options: DriverOptions())
        #expect(reading.extra("address") == .number(2))
        #expect(reading.cells == seedCells)
    }

    @Test func streamDecoderFedOneByteAtATime() throws {
        var decoder = BasenFrameDecoder()
        var buffer: [UInt8] = []
        var frames: [BasenFrame] = []
        for byte in [0x00, 0x13] + seedInfoFrame {  // junk first
            buffer.append(byte)
            if let f = try decoder.decode(&buffer) { frames.append(f) }
        }
        #expect(frames.count == 1)
        #expect(buffer.isEmpty)
        var reading = DriverReading()
        try BasenInfo.decode(frames[0].data, into: &reading)
        expectSeedValues(reading)
    }

    @Test func streamDecoderAllAtOnceSkipsTheRequestEcho() throws {
        var decoder = BasenFrameDecoder()
        var buffer = BasenFrame.request(address: 1, command: BasenCommand.info) + seedInfoFrame + seedInfoFrame
        let first = try decoder.decode(&buffer)
        let second = try decoder.decode(&buffer)
        #expect(first?.data == second?.data)
        #expect(first?.address == 1)
        #expect(try decoder.decode(&buffer) == nil)
    }

    @Test func requestFramesMatchTheSeed() {
        #expect(BasenFrame.request(address: 1, command: 0x01) == [0x7e, 0x01, 0x01, 0x00, 0xfe, 0x0d])
        #expect(BasenFrame.request(address: 1, command: 0x42) == [0x7e, 0x01, 0x42, 0x00, 0xfc, 0x0d])
        #expect(BasenFrame.request(address: 1, command: 0x33) == [0x7e, 0x01, 0x33, 0x00, 0xfe, 0x0d])
    }

    @Test func emulatorFirstAnswerIsTheSeedFrame() throws {
        let emulator = try BasenEmulator(options: DriverOptions([("addresses", "1,2")]))
        let answer = emulator.exchange(BasenFrame.request(address: 1, command: BasenCommand.info))
        #expect(answer == seedInfoFrame)
    }
}

/// The decoder's hint (ABI 1.3 `read_at_least`): never more than the frame still has, and
/// the whole rest once the length byte is in.
@Suite struct BasenFrameHintTests {
    @Test func hintsAreTheRestOfTheSeedFrame() {
        let (problems, exact) = FrameDecoderCheck.hints(BasenFrameDecoder(), frame: seedInfoFrame)
        #expect(problems.isEmpty, "\(problems)")
        #expect(exact == seedInfoFrame.count - 4 - 1)  // from the length byte to the byte before the last
    }
}
