import Foundation
import Testing

@testable import BMSGate

/// `check` refuses what used to break only at run time (hardening round 3, point 6), each
/// case at its FILE:LINE:COL and next to the good case.
struct RunTimeBreakChecksTests {
    static let head = """
        buses:
          - {id: rs485, type: serial, device: /dev/ttyUSB0}
          - {id: lab, type: sim}
        packs:
          - {id: p1, driver: basen, bus: lab, address: 1}
          - {id: p2, driver: basen, bus: lab, address: 2}
        banks: [{id: main, packs: [p1, p2], limits: {charge_voltage: 55.2, charge_current: 50, discharge_current: 80}}]

        """

    @Test func oneDeviceCarriesOneLink() {
        // Good: every link on its own device.
        #expect(configIssues(Self.head + """
            sinks:
              - {type: can, bank: main, device: /dev/ttyACM0}
              - {type: pylon-rs485, bank: main, device: /dev/ttyUSB1}
            """).isEmpty)
        #expect(configIssues(Self.head + """
            sinks:
              - {type: can, bank: main, device: /dev/ttyACM0}
              - {type: pylon-rs485, bank: main, device: /dev/ttyACM0}
              - {type: can, bank: main, interface: can0}
              - {type: can, bank: main, interface: can0}
            """) == [
            "site.yaml:10:5: the pylon-rs485 sink and the can sink (site.yaml:9:5) both use /dev/ttyACM0: one device carries one link",
            "site.yaml:12:5: the can sink and the can sink (site.yaml:11:5) both use can0: one device carries one link",
        ])
    }

    @Test func aSinkOnABusDeviceOrTwoBusesOnOneDeviceAreRefused() {
        #expect(configIssues(Self.head + """
            sinks: [{type: can, bank: main, device: /dev/ttyUSB0}]
            """) == [
            "site.yaml:8:9: the can sink uses /dev/ttyUSB0, which is bus 'rs485' (site.yaml:2:5): its frames would go onto the BMS line and its packs go offline",
        ])
        #expect(configIssues("""
            buses:
              - {id: a, type: serial, device: /dev/ttyUSB0}
              - {id: b, type: serial, device: /dev/ttyUSB0}
            packs:
              - {id: p1, driver: basen, bus: a, address: 1}
              - {id: p2, driver: basen, bus: b, address: 2}
            """) == ["site.yaml:3:5: buses 'a' and 'b' both use /dev/ttyUSB0: one line is one bus (list every pack on it under one bus)"])
    }

    @Test func badPathsAndNamesAreRefused() throws {
        let dir = NSTemporaryDirectory() + "bmsgate-check-dir-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(configIssues(Self.head + """
            sinks:
              - {type: pylon-rs485, bank: main, device: ""}
              - {type: can, bank: main, device: \(dir)}
              - {type: can, bank: main, interface: a-very-long-can-interface}
              - {type: pylon-rs485, bank: main, device: /dev/ttyUSB3, device_name: much-too-long}
            """) == [
            "site.yaml:9:5: the pylon-rs485 sink: the device path is empty",
            "site.yaml:10:5: the can sink: \(dir) is a directory, not a device",
            "site.yaml:11:5: CAN interface 'a-very-long-can-interface' is longer than the kernel's 15 characters",
            "site.yaml:12:72: 'device_name' is sent in 0x51 as 10 ASCII characters: 'much-too-long' does not fit",
        ])
    }

    @Test func aPackListedTwiceInABankAndVoltagesPylonCannotCarry() {
        #expect(configIssues("""
            buses: [{id: lab, type: sim}]
            packs: [{id: p1, driver: basen, bus: lab, address: 1}, {id: p2, driver: basen, bus: lab, address: 2}]
            banks: [{id: main, packs: [p1, p2, p1]}]
            """) == ["site.yaml:3:36: bank 'main' lists pack 'p1' twice: its capacity and SoC would count twice"])
        #expect(configIssues(Self.head.replacingOccurrences(of: "charge_voltage: 55.2", with: "charge_voltage: 120") + """
            sinks: [{type: pylon-rs485, bank: main, device: /dev/ttyUSB1}]
            """) == ["site.yaml:8:9: the pylon-rs485 sink sends the charge voltage in mV in 16 bits (65.535 V at most): bank 'main' gives 120 V (a low-voltage protocol)"])
        // discharge_voltage: 999 on the sink: above the charge voltage, refused where the bank is.
        #expect(configIssues(Self.head + """
            sinks: [{type: pylon-rs485, bank: main, device: /dev/ttyUSB1, discharge_voltage: 999}]
            """).contains { $0.contains("the charge voltage (55.2 V) must be above the discharge voltage (999 V)") })
    }

    /// Port 0 is legitimate (tests, a second gateway on one machine), so it is a warning
    /// with why, and the port the kernel gives is logged at start; a fixed port warns of nothing.
    @Test func listeningOnPortZeroIsAWarningWithWhy() throws {
        let zero = try ConfigLoader.parse(yaml: Self.head + """
            sinks: [{type: modbus-tcp, listen: "127.0.0.1:0"}]
            """, file: "site.yaml")
        #expect(zero.warnings.map(\.description) == [
            "site.yaml:8:9: the modbus-tcp sink listens on port 0: the kernel picks a free port at each start (it is logged, \"listening on HOST:PORT\"); clients that need a fixed address want a fixed port",
        ])
        let fixed = try ConfigLoader.parse(yaml: Self.head + """
            sinks: [{type: modbus-tcp, listen: "127.0.0.1:5020"}]
            """, file: "site.yaml")
        #expect(fixed.warnings.isEmpty)
    }
}
