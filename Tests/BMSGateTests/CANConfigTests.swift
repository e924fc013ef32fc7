import Testing

@testable import BMSGate

/// The `can` sink in the site file.
struct CANConfigTests {
    let head = """
        buses: [{id: lab, type: sim}]
        packs: [{id: a, driver: basen, bus: lab, address: 1}]

        """

    @Test func everyKeyParses() throws {
        let site = try ConfigLoader.parse(yaml: head + """
            banks: [{id: main, packs: [a], limits: {charge_voltage: 55.2}}]
            sinks:
              - {type: can, bank: main, profile: sma, device: /dev/ttyACM0, baud: 921600, bitrate: 250000, period: 500ms,
                 discharge_voltage: 44.8, charge_voltage: 56, quirks: [nonzero_stop, eight_byte_frames], manufacturer: ACME,
                 name: garage, inverter_timeout: 30s}
              - {type: can, bank: main, interface: can0}
              - {type: can, bank: main, device: sim, discharge_voltage: 44.8, profile: victron}
            """, file: "site.yaml")
        // A sink's voltages are its bank's: every link of the bank says them.
        #expect(site.banks[0].inverter.dischargeVoltage == 44.8 && site.banks[0].inverter.chargeVoltage == 56)
        let s = try #require(site.sinks[0].settings as? CANSinkSettings)
        #expect(s.bank == "main" && s.profile == .sma && s.link == .device("/dev/ttyACM0", baud: 921_600))
        #expect(s.bitrate == 250_000 && s.period == .milliseconds(500) && s.dischargeVoltage == 44.8 && s.chargeVoltage == 56)
        #expect(s.quirks == [.nonzeroStop, .eightByteFrames] && s.manufacturer == "ACME" && s.name == "garage")
        #expect(s.inverterTimeout == .seconds(30))
        let d = try #require(site.sinks[1].settings as? CANSinkSettings)
        #expect(d.link == .interface("can0") && d.profile == .pylon && d.bitrate == 500_000 && d.period == .seconds(1))
        #expect((site.sinks[2].settings as? CANSinkSettings)?.link == .simulated)
    }

    /// The line the issue asks for: pylon on an SLCAN adapter, nothing else. The discharge
    /// voltage then defaults to 2.9 V per cell in series (ChargeController).
    @Test func theShortestPylonSinkIsValid() throws {
        let site = try ConfigLoader.parse(yaml: head + """
            banks: [{id: main, packs: [a], limits: {charge_voltage: 55.2, charge_current: 50, discharge_current: 80}}]
            sinks:
              - {type: can, bank: main, profile: pylon, device: /dev/ttyACM0}
            """, file: "site.yaml")
        let s = try #require(site.sinks[0].settings as? CANSinkSettings)
        #expect(s.dischargeVoltage == nil && s.link == .device("/dev/ttyACM0", baud: 115_200))
        #expect(site.warnings.isEmpty, "\(site.warnings)")
        let state = CANBatteryState(chargeVoltage: 55.2, dischargeVoltage: nil, chargeCurrent: 50, dischargeCurrent: 80)
        #expect(CANProfile.pylon.frames(state).frames[0].data == [0x28, 0x02, 0xF4, 0x01, 0x20, 0x03, 0x00, 0x00])
    }

    /// The voltages are the bank's, said once: given on the bank and a sink, or on two
    /// sinks, with different values, is an error at the sink that disagrees.
    @Test func twoPlacesThatDisagreeOnAVoltageAreAnError() {
        let found = configIssues(head + """
            banks: [{id: main, packs: [a], limits: {charge_voltage: 55.2, discharge_voltage: 46.4}}]
            sinks:
              - {type: can, bank: main, device: /dev/a, discharge_voltage: 48}
              - {type: pylon-rs485, bank: main, device: /dev/y, discharge_voltage: 46.4, charge_voltage: 54}
              - {type: can, bank: main, device: /dev/z, charge_voltage: 53}
            """)
        #expect(found == [
            "site.yaml:5:5: discharge_voltage 48 V differs from 46.4 V given by the limits of bank 'main' (site.yaml:3:9): every inverter link of bank 'main' says the same; set it once, in the bank's limits",
            "site.yaml:7:5: charge_voltage 53 V differs from 54 V given by the pylon-rs485 sink (site.yaml:6:5): every inverter link of bank 'main' says the same; set it once, in the bank's limits",
        ], "\(found)")
        // The same value twice is fine.
        #expect(configIssues(head + """
            banks: [{id: main, packs: [a], limits: {charge_voltage: 55.2, discharge_voltage: 46.4}}]
            sinks:
              - {type: can, bank: main, device: /dev/b, discharge_voltage: 46.4}
              - {type: pylon-rs485, bank: main, device: /dev/y, discharge_voltage: 46.4}
            """).isEmpty)
    }

    @Test func mistakesAreReportedWhereTheyAre() {
        let found = configIssues(head + """
            banks: [{id: main, packs: [a]}]
            sinks:
              - {type: can, bank: main, interface: can0, device: /dev/c, discharge_voltage: 48}
              - {type: can, bank: nope, device: /dev/d, discharge_voltage: 48, charge_voltage: 55}
              - {type: can, bank: main, device: /dev/e, discharge_voltage: 48, profile: byd, bitrate: 300000, period: 30s, quirks: [fast]}
              - {type: can, bank: main, device: /dev/f, profile: sma}
              - {type: can, bank: main, device: /dev/g, discharge_voltage: 48, charge_voltage: 40, manufacturer: TOO-LONG-NAME}
            """)
        let expected = [
            "site.yaml:3:9: bank 'main': the charge voltage (40 V) must be above the discharge voltage (48 V), or the inverter is told to charge and discharge past each other",
            "site.yaml:5:54: give the can sink either interface (SocketCAN, e.g. can0) or device (an SLCAN adapter, e.g. /dev/ttyACM0), not both",
            "site.yaml:6:5: the can sink speaks for bank 'nope', which is not defined (banks: main)",
            "site.yaml:7:77: 'profile' of the can sink must be one of pylon, sma, victron",
            "site.yaml:7:91: 'bitrate' of the can sink must be one of 10000, 20000, 50000, 100000, 125000, 250000, 500000, 800000, 1000000 (500000 for inverters)",
            "site.yaml:7:107: 'period' of the can sink must be at most 10s: inverters fault without frames",
            "site.yaml:7:121: unknown quirk 'fast' (known: nonzero_stop, eight_byte_frames, cvl_stop)",
            "site.yaml:9:102: 'manufacturer' is sent as 8 ASCII characters: 'TOO-LONG-NAME' does not fit",
        ]
        #expect(found == expected, "\(found)")
        let cross = configIssues(head + """
            banks: [{id: main, packs: [a]}]
            sinks:
              - {type: can, bank: nope, device: /dev/h, discharge_voltage: 48, charge_voltage: 55}
              - {type: can, bank: main, device: /dev/i, profile: sma}
            """)
        #expect(cross == [
            "site.yaml:5:5: the can sink speaks for bank 'nope', which is not defined (banks: main)",
            "site.yaml:6:5: the can sink needs a charge voltage limit: set limits: {charge_voltage: ...} on bank 'main' or charge_voltage: on the sink",
            "site.yaml:6:5: the sma profile needs a discharge voltage, the inverter's low cut-off (e.g. 48.0 for a 16-cell LFP bank): set limits: {discharge_voltage: ...} on bank 'main' or discharge_voltage: on the sink",
        ], "\(cross)")
    }
}
