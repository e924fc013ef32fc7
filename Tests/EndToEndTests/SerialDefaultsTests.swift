import BMSGate
import Foundation
import Testing

/// A driver's serial line defaults (ABI 1.2 `serial_defaults`): the REC instruction set's
/// Client block (38400 8N1, DTR on, 900 ms answers) applies to a REC pack's bus unless the
/// site file says otherwise.
@Suite struct SerialDefaultsTests {
    @Test func theRECInstructionSetGivesTheLineSettings() throws {
        let catalog = DriverLoader.load(directories: [TestTools.binDir])
        let rec = try #require(catalog.driver("rec-bms"))
        #expect(rec.defaultBaud == 38400)
        var expected = SerialLineDefaults()
        expected.parity = "none"
        expected.dataBits = 8
        expected.stopBits = 1
        expected.dtr = true
        expected.timeoutMs = 900
        #expect(rec.serialDefaults == expected)
        #expect(catalog.driver("basen")?.serialDefaults == SerialLineDefaults(), "a driver without defaults changes nothing")

        let yaml = """
            site: lines
            buses:
              - {id: plain, type: serial, device: /dev/ttyUSB0}
              - {id: tuned, type: serial, device: /dev/ttyUSB1, parity: even, dtr: false}
            packs:
              - {id: a, driver: rec-bms, bus: plain, address: 1}
              - {id: b, driver: rec-bms, bus: tuned, address: 1, timeout: 2s}
            """
        let site = try ConfigLoader.parse(yaml: yaml, file: "lines.yaml")
        let plain = try #require(site.buses[0].settings as? SerialSettings).applying(rec.serialDefaults)
        #expect(plain.parity == "none" && plain.dataBits == 8 && plain.stopBits == 1 && plain.dtr == true)
        let tuned = try #require(site.buses[1].settings as? SerialSettings).applying(rec.serialDefaults)
        #expect(tuned.parity == "even" && tuned.dtr == false, "what the site file says wins")
        #expect(SerialPort(settings: plain, defaultBaud: rec.defaultBaud).endpoint == "/dev/ttyUSB0 38400 8N1 DTR on")
        // The answer timeout: the instruction set's read timeout unless the pack sets one.
        let timeouts = Gateway.applyingDriverDefaults(site, catalog: catalog).packs.map(\.timeout)
        #expect(timeouts == [.milliseconds(900), .seconds(2)])
    }

    @Test func dtrOnAPseudoTerminalIsReportedNotFatal() throws {
        var master: Int32 = -1, slave: Int32 = -1
        var name = [CChar](repeating: 0, count: 64)
        try #require(openpty(&master, &slave, &name, nil, nil) == 0)
        defer { close(master); close(slave) }
        var settings = SerialSettings(device: String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), baud: 9600)
        settings.dtr = true
        let port = SerialPort(settings: settings, defaultBaud: 9600)
        try port.open()
        #expect(port.isOpen)
        #expect(port.dtrFailure?.hasPrefix("DTR on on \(settings.device)") == true, "\(String(describing: port.dtrFailure))")
        port.close()
    }
}
