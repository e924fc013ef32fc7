import Foundation
import Testing

/// JK packs over (emulated) BLE as a user runs them: the real GATT client on a socketpair
/// per device, each firmware generation, both module layouts, a site with one pack on
/// RS485 and one on BLE under `bmsgate run`, and a machine without Bluetooth.
@Suite struct JKBLEEndToEndTests {
    func write(_ yaml: String, _ name: String) throws -> String {
        let path = try TestTools.tempDir(name) + "/site.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func readJSON(_ config: String) throws -> [[String: Any]] {
        let r = try TestTools.run(TestTools.bmsgate, ["read", "--config", config, "--format", "json"], timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test(arguments: [("ble", "JK02_32S"), ("ble-combined", "JK02_24S"), ("ble", "JK04")])
    func readsEveryGeneration(transport: String, generation: String) throws {
        let config = try write("""
            site: blesite
            buses: [{id: radio, type: sim, transport: \(transport), emulator: {protocol_version: \(generation), cells: 8}}]
            packs: [{id: j1, driver: jk-bms, bus: radio, address: "C8:47:8C:00:00:01", timeout: 3s}]
            """, "jk-ble")
        let line = try #require(try readJSON(config).first)
        #expect(line["online"] as? Bool == true)
        #expect((line["cells"] as? [Double])?.count == 8)
        let extras = line["extras"] as? [String: Any]
        #expect(extras?["protocol_version"] as? String == generation)
        #expect(extras?["setup_passcode"] as? String == "****")
        #expect((line["identity"] as? [String: Any])?["model"] as? String == "JK_B2A8S20P")
        if generation != "JK04" {
            #expect(extras?["cell_overvoltage_protection"] as? Double == 3.65)  // from the settings answer
            #expect(extras?["charge_undertemperature_protection"] as? Double == -20)
            #expect(line["current"] as? Double == -10.5)
            #expect(line["soc"] as? Double == 76)
            #expect(line["temperatures"] as? [Double] == [24, 23])
            #expect(line["mos_temperature"] as? Double == 25)
        }
    }

    @Test func aSiteWithOnePackOnRS485AndOneOnBLERuns() throws {
        let dir = try TestTools.tempDir("jk-site")
        let config = try write("""
            site: jkmix
            buses:
              - {id: rs485, type: sim, line_rate: 115200}
              - {id: radio, type: sim, transport: ble}
            packs:
              - {id: wired, driver: jk-bms, bus: rs485, address: 1, poll_interval: 500ms}
              - {id: wireless, driver: jk-bms, bus: radio, address: "C8:47:8C:12:34:56", poll_interval: 500ms, timeout: 3s}
            banks: [{id: bank1, packs: [wired, wireless]}]
            sinks: [{type: file, path: \(dir)/readings.jsonl}]
            """, "jk-mix")
        let gw = try Child(TestTools.bmsgate, ["run", "--config", config])
        let ok = TestTools.waitUntil(20) {
            let lines = TestTools.jsonLines(dir + "/readings.jsonl")
            return Set(lines.filter { $0["online"] as? Bool == true && $0["voltage"] != nil }.compactMap { $0["pack"] as? String }) == ["wired", "wireless"]
        }
        let out = gw.stop()
        #expect(ok, "both packs never online: \(out.stderr)")
        #expect(out.status == 0)
        #expect(out.stderr.contains("BLE C8:47:8C:12:34:56: connected, MTU 247"))
    }

    @Test func withoutBluetoothOnlyTheBLEPackFails() throws {
        let config = try write("""
            site: nobt
            buses:
              - {id: rs485, type: sim}
              - {id: radio, type: ble, connect_timeout: 2s}
            packs:
              - {id: wired, driver: jk-bms, bus: rs485, address: 1}
              - {id: wireless, driver: jk-bms, bus: radio, address: "C8:47:8C:12:34:56"}
            """, "jk-nobt")
        let r = try TestTools.run(TestTools.bmsgate, ["read", "--config", config, "--format", "json"], timeout: 60)
        #expect(r.status == 1)  // one pack without a reading
        let lines = r.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.first { $0["pack"] as? String == "wired" }?["online"] as? Bool == true)
        let error = lines.first { $0["pack"] as? String == "wireless" }?["error"] as? String
        #expect(error?.contains("Bluetooth is not available") == true || error?.contains("no Bluetooth adapter") == true, "\(error ?? "nil")")
        let scan = try TestTools.run(TestTools.bmsgate, ["scan", "--ble", "--timeout", "1"])
        #expect(scan.status == 1)
        #expect(scan.stderr.contains("no Bluetooth adapter 'hci0'"))
    }

    @Test func bleConfigMistakesAreReported() throws {
        let config = try write("""
            buses: [{id: radio, type: ble, address_type: weird}, {id: sim, type: sim, transport: bluetooth}]
            packs:
              - {id: a, driver: jk-bms, bus: radio, address: "JK-B2A8S20P"}
              - {id: b, driver: jk-bms, bus: radio, address: "C8:47:8C:12:34:56"}
              - {id: c, driver: jk-bms, bus: radio, address: "c8:47:8c:12:34:56"}
              - {id: d, driver: basen, bus: radio, address: "C8:47:8C:12:34:57"}
            """, "jk-badble")
        let r = try TestTools.run(TestTools.bmsgate, ["check", config])
        #expect(r.status == 1)
        #expect(r.stderr.contains("'address_type' of bus 'radio' must be public or random"))
        #expect(r.stderr.contains("'transport' of sim bus 'sim' must be serial, ble"))
        #expect(r.stderr.contains("its address must be the device's BLE address like C8:47:8C:12:34:56"))
        #expect(r.stderr.contains("packs 'b' and 'c' both use BLE device C8:47:8C:12:34:56"))
    }
}
