import BMSDriverKit
import Testing

@testable import JBD

/// The emulator answers like a board: reads, the MOSFET write, refusals, sleep.
struct JBDEmulatorTests {
    func ask(_ e: JBDEmulator, _ request: [UInt8]) throws -> JBDFrame {
        try JBDFrame.parse(e.exchange(request))
    }

    @Test func answersLikeABoard() throws {
        let e = try JBDEmulator(options: DriverOptions([("cells", "8")]))
        #expect(e.control("set soc=55 current=-20.5 cell3=3.41 temp=30").hasPrefix("ok"))
        let (r, id) = try JBDDriver.decode(frames: [try ask(e, JBDFrame.request(3)).encoded, try ask(e, JBDFrame.request(4)).encoded,
                                                    try ask(e, JBDFrame.request(5)).encoded], options: DriverOptions())
        #expect(r.cells.count == 8 && r.cells[2] == 3.41 && r.soc == 55 && r.current == -20.5)
        #expect(r.temperatures == [30, 30, 30])
        #expect(r.balancing[2] == true && r.balancing.filter { $0 }.count == 1, "the high cell balances")
        #expect(id.model == "JBD-SP16S020-L16S-100A")
        // The MOSFET write: charge off.
        let ack = try ask(e, JBDFrame.request(0xE1, kind: JBDFrame.write, data: [0x00, 0x01]))
        #expect(ack.status == 0 && ack.data.isEmpty)
        #expect(try JBDBasicInfo.decode(try ask(e, JBDFrame.request(3)).data).chargeEnabled == false)
        // Unknown register: refused; bad checksum: ignored.
        #expect(try ask(e, JBDFrame.request(0x77)).status == 0x80)
        var bad = JBDFrame.request(3)
        bad[4] ^= 1
        #expect(e.exchange(bad).isEmpty)
        // Asleep: the first request is ignored, the second answered.
        #expect(e.control("sleep").hasPrefix("ok"))
        #expect(e.exchange(JBDFrame.request(3)).isEmpty)
        #expect(try ask(e, JBDFrame.request(3)).register == 3)
        #expect(e.control("protect 1").hasPrefix("ok"))
        var alarmed = DriverReading()
        try JBDBasicInfo.decode(try ask(e, JBDFrame.request(3)).data).apply(to: &alarmed)
        #expect(alarmed.alarms == .cellUndervoltage)
    }
}
