import Foundation
import Testing

/// `bmsgate check` helps where users trip: a bank feeding an inverter with no current
/// limits is a warning (the inverter would see 0 A); a simulated bus takes the transport
/// of its drivers (an I2C-only gauge on a plain `sim` bus works).
@Suite struct ConfigHelpTests {
    func write(_ dir: String, _ name: String, _ text: String) throws -> String {
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func anInverterBankWithoutCurrentLimitsIsAWarning() throws {
        let dir = try TestTools.tempDir("check-limits")
        let head = """
            site: w
            buses: [{id: lab, type: sim}]
            packs: [{id: p1, driver: daly, bus: lab, address: 1}]

            """
        let bare = try write(dir, "bare.yaml", head + """
            banks: [{id: main, packs: [p1], limits: {charge_voltage: 55.2}}]
            sinks:
              - {type: can, bank: main, profile: pylon, device: sim, discharge_voltage: 48}
              - {type: modbus-tcp, listen: "127.0.0.1:0"}
            """)
        let warned = try TestTools.run(TestTools.bmsgate, ["check", bare])
        #expect(warned.status == 0, "a warning, not an error: \(warned.stderr)")
        #expect(warned.stderr.contains("bare.yaml:6:5: warning: bank 'main' feeds an inverter through this can sink but sets no charge_current or discharge_current limit"), "\(warned.stderr)")
        #expect(warned.stderr.contains("through this modbus-tcp sink"), "\(warned.stderr)")
        let half = try write(dir, "half.yaml", head + """
            banks: [{id: main, packs: [p1], limits: {charge_voltage: 55.2, charge_current: 50}}]
            sinks: [{type: pylon-rs485, bank: main, device: sim}]
            """)
        let one = try TestTools.run(TestTools.bmsgate, ["check", half])
        #expect(one.stderr.contains("sets no discharge_current limit") && !one.stderr.contains("no charge_current"), "\(one.stderr)")
        let set = try write(dir, "set.yaml", head + """
            banks: [{id: main, packs: [p1], limits: {charge_voltage: 55.2, charge_current: 50, discharge_current: 60}}]
            sinks: [{type: pylon-rs485, bank: main, device: sim}, {type: stdout}]
            """)
        let quiet = try TestTools.run(TestTools.bmsgate, ["check", set])
        #expect(quiet.status == 0 && !quiet.stderr.contains("warning"), "\(quiet.stderr)")
    }

    @Test func aSimBusFollowsItsDrivers() throws {
        let dir = try TestTools.tempDir("check-sim")
        let gauge = try write(dir, "gauge.yaml", """
            site: g
            buses: [{id: lab, type: sim}]
            packs: [{id: g, driver: lc30, bus: lab, address: "0x0B"}]
            """)
        let read = try TestTools.run(TestTools.bmsgate, ["read", "--config", gauge, "--format", "json"], timeout: 60)
        #expect(read.status == 0 && TestTools.jsonObjects(read.stdout).first?["voltage"] as? Double == 15.84, "\(read.stderr)")
        let mixed = try write(dir, "mixed.yaml", """
            site: m
            buses: [{id: lab, type: sim}]
            packs:
              - {id: d, driver: daly, bus: lab, address: 1}
              - {id: g, driver: lc30, bus: lab, address: "0x0B"}
            """)
        let refused = try TestTools.run(TestTools.bmsgate, ["check", mixed])
        #expect(refused.status == 1 && refused.stderr.contains("mixed.yaml:5:5: driver 'lc30' does not speak over a serial line"), "\(refused.stderr)")
    }
}
