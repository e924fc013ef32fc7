import BMSDriverKit
import BMSGateTestSupport
import Testing

@testable import Daly

/// Daly answers captured from real boards, every value asserted.
struct DalyGoldenFrameTests {
    /// A 16S pack discharging at 50 A, logged by tomatensaus/bms (test_daly.py, first
    /// snapshot; the trailing bytes of 0x91/0x92 are what the board left there).
    static let discharging = Capture.frames("discharging")
    /// A 16S pack over BLE with every cell frame, a probe, balancing and a failure bit,
    /// logged in snpg-lab/4K_ESS (index_daly.js); its 0xD8 answer is one the driver skips.
    static let full = Capture.frames("full")

    @Test func aPackDischarging() throws {
        let (r, id) = try DalyDriver.decode(frames: Self.discharging, options: DriverOptions())
        #expect(r.voltage == 51.5 && r.current == -50 && r.power == -2575 && r.soc == 82.4)
        #expect(r.status == ["discharging"])
        #expect(r.chargeEnabled == true && r.dischargeEnabled == true)
        #expect(r.remainingCapacity == 296.64 && r.fullCapacity == 360 && r.cycles == 5)
        #expect(r.cells == [3.242, 3.221, 3.161], "only the first cell frame was logged")
        #expect(r.extra("bms_life") == .number(113) && r.extra("dio_bits") == .number(2))
        #expect(r.extra("charger_connected") == .number(0) && r.extra("load_connected") == .number(0))
        #expect(r.extra("max_cell_voltage") == .number(3.255) && r.extra("max_cell") == .number(7))
        #expect(r.extra("min_cell_voltage") == .number(3.091) && r.extra("min_cell") == .number(5))
        #expect(r.extra("max_temperature") == .number(31) && r.extra("min_temperature") == .number(31))
        #expect(r.extra("max_temperature_probe") == .number(1) && r.extra("min_temperature_probe") == .number(1))
        #expect(r.alarms.isEmpty && id.manufacturer == "Daly")
    }

    @Test func aPackWithEveryFrame() throws {
        let (r, _) = try DalyDriver.decode(frames: Self.full, options: DriverOptions())
        #expect(r.voltage == nil && r.current == nil, "no 0x90 in this log")
        #expect(r.cells == [3.278, 3.279, 3.278, 3.279, 3.279, 3.281, 3.281, 3.276,
                            3.278, 3.280, 3.275, 3.277, 3.279, 3.276, 3.280, 3.277], "16 cells of 18 slots")
        #expect(r.temperatures == [22], "one probe of the 14 slots")
        #expect(r.balancing == Array(repeating: false, count: 16))
        #expect(r.alarms == .lowSoc && r.status == ["discharging", "SoC low (level 2)"])
        #expect(r.remainingCapacity == 0 && r.cycles == 0 && r.extra("bms_life") == .number(122))
        #expect(r.extra("fault_code") == .number(0))
        #expect(r.extra("max_cell_voltage") == .number(3.281) && r.extra("max_cell") == .number(6))
    }

    @Test func failureBitsBecomeCanonicalAlarms() throws {
        func alarms(_ byte: Int, _ bit: Int) throws -> (Alarms, [String]) {
            var data = [UInt8](repeating: 0, count: 8)
            data[byte] = 1 << bit
            let (r, _) = try DalyDriver.decode(frames: [DalyFrame(address: 1, command: 0x98, data: data).encoded], options: DriverOptions())
            return (r.alarms, r.status)
        }
        #expect(try alarms(0, 1) == (.cellOvervoltage, ["cell voltage high (level 2)"]))
        #expect(try alarms(0, 2).0 == .cellUndervoltage && alarms(0, 6).0 == .packUndervoltage)
        #expect(try alarms(1, 0).0 == .chargeOvertemperature && alarms(1, 7).0 == .dischargeUndertemperature)
        #expect(try alarms(2, 3).0 == .dischargeOvercurrent && alarms(2, 4).0 == [] && alarms(2, 4).1 == ["SoC high (level 1)"])
        #expect(try alarms(3, 0).0 == .cellImbalance && alarms(4, 0).0 == .mosOvertemperature && alarms(4, 3).0 == .sensorFault)
        #expect(try alarms(5, 6).0 == .communication && alarms(5, 3).0 == .internalFault && alarms(6, 2).0 == .shortCircuit)
    }

    @Test func theCurrentFollowsTheBoardsState() throws {
        // Raw 29500 is 50 A below the offset: charging by the default rule, and a board that
        // says "charging" agrees; a board that says "discharging" makes it negative.
        let soc = DalyFrame(address: 1, command: 0x90, data: [0x02, 0x03, 0, 0, 0x73, 0x3C, 0x03, 0x38]).encoded
        func current(_ state: UInt8?) throws -> Double? {
            let frames = [soc] + (state.map { [DalyFrame(address: 1, command: 0x93, data: [$0, 1, 1, 0, 0, 0, 0, 0]).encoded] } ?? [])
            return try DalyDriver.decode(frames: frames, options: DriverOptions()).0.current
        }
        #expect(try current(nil) == 50 && current(1) == 50 && current(2) == -50 && current(0) == 50)
    }

    @Test func badFramesAreRefusedWithTheReason() {
        var bad = Self.discharging[0]
        bad[12] ^= 1
        #expect { try DalyFrame.parse(bad) } throws: { ($0 as? DriverError)?.message.contains("checksum 0x18, expected 0x19") == true }
        #expect { try DalyFrame.parse(Array(bad.prefix(9))) } throws: { ($0 as? DriverError)?.message.contains("truncated") == true }
        var badLength = Self.discharging[0]
        badLength[3] = 9
        #expect { try DalyFrame.parse(badLength) } throws: { ($0 as? DriverError)?.message.contains("length byte") == true }
        #expect { try DalyDriver.decode(frames: [bad], options: DriverOptions()) } throws: { ($0 as? DriverError)?.message.contains("frame 1") == true }
        // The documented request and its checksum.
        #expect(DalyFrame(address: 0x40, command: 0x90).encoded == Hex.parse("A5 40 90 08 00 00 00 00 00 00 00 00 7D")!)
        #expect(DalyDriver.hostAddress(board: 2) == 0x41)
    }

    @Test func theStreamDecoderSkipsRequestsAndJunk() throws {
        let request = DalyFrame(address: 0x40, command: 0x95).encoded
        let frames = [request, [0xA5, 0x00], Self.full[4], Self.full[5]]
        let result = try FrameDecoderCheck.frames(frames) { buffer in
            var d = DalyFrameDecoder()
            return try d.decode(&buffer)?.encoded
        }
        #expect(result.allAtOnce == [Self.full[4], Self.full[5]])
        #expect(result.perFrame == result.allAtOnce)
    }

    @Test func fuzzedFramesNeverTrap() {
        var decoded = 0
        FuzzBudget.run("daly frames") { rng, round in
            var frames = round % 2 == 0 ? [rng.bytes(maxLength: 60)] : Self.full
            if round % 2 == 1 {
                let i = Int(rng.next() % UInt64(frames.count))
                frames[i][Int(rng.next() % 13)] = UInt8(truncatingIfNeeded: rng.next())
                frames[i][12] = DalyFrame.checksum(frames[i][0..<12])
            }
            if (try? DalyDriver.decode(frames: frames, options: DriverOptions())) != nil { decoded += 1 }
        }
        #expect(decoded > 0)
    }
}

/// The decoder's hint (ABI 1.3 `read_at_least`): a Daly frame is always 13 bytes.
@Suite struct DalyFrameHintTests {
    @Test func hintsAreTheRestOfEachFrame() {
        for frame in DalyGoldenFrameTests.discharging {
            let (problems, exact) = FrameDecoderCheck.hints(DalyFrameDecoder(), frame: frame)
            #expect(problems.isEmpty, "\(problems)")
            #expect(exact == 13 - 1 - 1)
        }
    }
}
