import BMSDriverKit
import Testing

@testable import Daly

/// The emulator answers like boards on one line, and over BLE.
struct DalyEmulatorTests {
    @Test func boardsAnswerTheirHostAddress() throws {
        let e = try DalyEmulator(options: DriverOptions([("addresses", "1,2"), ("cells", "7"), ("probes", "9")]))
        func answers(_ host: UInt8, _ command: UInt8, _ data: [UInt8] = []) -> [[UInt8]] {
            let bytes = e.exchange(DalyFrame(address: host, command: command, data: data).encoded)
            return stride(from: 0, to: bytes.count, by: 13).map { Array(bytes[$0..<($0 + 13)]) }
        }
        #expect(e.control("set 2 soc=55 current=20 cell3=3.45 temp=30").hasPrefix("ok"))
        let frames = [0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98].flatMap { answers(0x41, UInt8($0)) }
        #expect(frames.allSatisfy { $0[1] == 2 }, "board 2 answers with its number")
        #expect(frames.filter { $0[2] == 0x95 }.count == 3 && frames.filter { $0[2] == 0x96 }.count == 2)
        let (r, _) = try DalyDriver.decode(frames: frames, options: DriverOptions())
        #expect(r.cells.count == 7 && r.cells[2] == 3.45 && r.soc == 55 && r.current == 20 && r.status.first == "charging")
        #expect(r.temperatures == Array(repeating: 30, count: 9))
        #expect(r.balancing[2] == true)
        #expect(answers(0x42, 0x90).isEmpty, "no board 3")
        #expect(answers(0x80, 0x90).isEmpty, "a line does not answer the BLE host address")
        // MOSFET writes.
        #expect(answers(0x40, 0xDA, [0]).first?[4] == 0)
        #expect(answers(0x40, 0x93).first?[5] == 0, "board 1's charge MOSFET is off")
        #expect(e.control("fail 1 0 1").hasPrefix("ok"))
        let (alarmed, _) = try DalyDriver.decode(frames: answers(0x40, 0x98), options: DriverOptions())
        #expect(alarmed.alarms == .cellOvervoltage)
        #expect(e.control("silence 1").hasPrefix("ok") && answers(0x40, 0x90).isEmpty)
    }

    @Test func aBLEBoardAnswersTheBLEHostAddress() throws {
        let e = try DalyEmulator(options: DriverOptions([("addresses", "17:71:06:12:34:56")]))
        #expect(e.exchange(DalyFrame(address: 0x40, command: 0x90).encoded).isEmpty)
        let answer = e.exchange(DalyFrame(address: 0x80, command: 0x90).encoded)
        #expect(answer.count == 13 && answer[1] == 1)
    }
}
