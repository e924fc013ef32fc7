import Foundation
import Testing

/// Every route of the LC30 API document over real HTTP (curl) against the bq78350
/// emulator on a simulated I2C bus, with the error cases of its table, a Data Flash write
/// read back, seal → unseal with wrong keys refused → unseal with the right keys, and the
/// advanced configuration surviving a restart.
@Suite(.serialized) struct LC30APITests {
    typealias Reply = HTTPAPITests.Reply
    static let token = "lc30-t0ken"

    func start(_ dir: String, allowWrites: Bool = true, packs: Int = 1, emulator: String = "") throws -> (Child, Int) {
        let config = dir + "/site.yaml"
        let extra = packs > 1 ? "\n  - {id: g2, driver: lc30, bus: gauge2, address: \"0x0B\", options: {state_file: \(dir)/g2.json}}" : ""
        try """
            site: lc30
            buses: [{id: gauge, type: sim, transport: i2c\(emulator.isEmpty ? "" : ", emulator: {\(emulator)}")}, {id: gauge2, type: sim, transport: i2c}]
            packs:
              - {id: g1, driver: lc30, bus: gauge, address: "0x0B", allow_writes: \(allowWrites), options: {state_file: \(dir)/g1.json}}\(extra)
            sinks: [{type: http, listen: "127.0.0.1:0", token_env: LC30_TOKEN}]
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let gw = try Child(TestTools.bmsgate, ["run", "--config", config], environment: ["LC30_TOKEN": Self.token])
        let port: Int
        do { port = try gw.port("http") } catch {
            _ = gw.stop()
            throw error
        }
        #expect(TestTools.waitUntil(20) { (try? HTTPAPITests.curl(port, "GET", "/healthz"))?.json?["packs_online"] as? Double == Double(packs) })
        return (gw, port)
    }

    func get(_ port: Int, _ path: String) throws -> Reply { try HTTPAPITests.curl(port, "GET", path) }
    func post(_ port: Int, _ path: String, _ body: String, token: Bool = true) throws -> Reply {
        try HTTPAPITests.curl(port, "POST", path, body: body, token: token ? Self.token : nil)
    }

    @Test func monitoringDiagnosticsAndStudioReads() throws {
        let dir = try TestTools.tempDir("lc30-read")
        let (gw, port) = try start(dir)
        defer { _ = gw.stop() }
        let bms = try get(port, "/api/bms")
        #expect(bms.status == 200)
        let b = try #require(bms.json)
        #expect(b["connected"] as? Bool == true && b["soc"] as? Double == 82 && b["voltage"] as? Double == 15.84)
        #expect(b["current"] as? Double == -1.25 && b["temperature"] as? Double == 27.4)
        #expect(b["remaining_capacity"] as? Double == 2460 && b["full_charge_capacity"] as? Double == 3000 && b["cycle_count"] as? Double == 18)
        #expect(b["charging"] as? Bool == false && b["fully_charged"] as? Bool == false && (b["alarms"] as? [String]) == [])
        #expect(b["advanced_mode"] as? Bool == false && b["soc_source"] as? String == "bms")
        let diag = try #require(try get(port, "/api/bms/diag").json)
        #expect(diag["target_addr"] as? String == "0x0B" && diag["connected"] as? Bool == true)
        let target = (diag["buses"] as? [[String: Any]])?.first { $0["probed"] as? Bool == true }
        #expect((target?["devices"] as? [String]) == ["0x0B"])
        #expect((diag["buses"] as? [[String: Any]])?.count == 1 + ((try? FileManager.default.contentsOfDirectory(atPath: "/dev"))?.filter { $0.hasPrefix("i2c-") }.count ?? 0))
        let regs = try #require(diag["registers"] as? [String: Any])
        #expect(regs["voltage_mV"] as? Double == 15840 && regs["current_mA"] as? Double == -1250 && regs["temperature_01K"] as? Double == 3005)
        let info = try #require(try get(port, "/api/bms/studio/info").json?["info"] as? [String: Any])
        #expect(info["device_name"] as? String == "BQ78350-R1" && info["manufacturer"] as? String == "TI" && info["security"] as? String == "SEALED")
        let sbs = try #require(try get(port, "/api/bms/studio/sbs").json)
        #expect((sbs["registers"] as? [String: Any])?["Voltage"] as? Double == 15840)
        #expect((sbs["registers"] as? [String: Any])?["RelativeStateOfCharge"] as? Double == 82)
        #expect(sbs["cells"] as? [Double] == [3960, 3955, 3963, 3962])
        #expect(try get(port, "/api/bms/studio/cells").json?["cells"] as? [Double] == [3960, 3955, 3963, 3962])
        let status = try #require(try get(port, "/api/bms/studio/status").json?["status"] as? [String: Any])
        for key in ["safety_alert", "safety_status", "pf_alert", "pf_status", "operation_status", "charging_status", "gauging_status"] {
            #expect(status[key] is [String: Any], "\(key)")
        }
        #expect((status["operation_status"] as? [String: Bool])?["SEC1"] == true)
        #expect((status["security"] as? [String: String])?["mode"] == "SEALED")
        let macs = try #require(try get(port, "/api/bms/studio/mac_commands").json?["commands"] as? [[String: Any]])
        #expect(macs.contains { $0["command"] as? String == "0x0041" && $0["risk"] as? String == "dangerous" })
        let classes = try #require(try get(port, "/api/bms/studio/df_classes").json?["classes"] as? [[String: Any]])
        #expect(classes.contains { $0["name"] as? String == "gas_gauging" })
        let search = try get(port, "/api/bms/studio/df_search?q=0x45CC")
        #expect((search.json?["results"] as? [[String: Any]])?.first?["name"] as? String == "Design Capacity mAh")
        #expect(try get(port, "/api/bms/studio/df_search").status == 400)
        let byName = try get(port, "/api/bms/studio/df_search?q=design%20voltage")
        #expect((byName.json?["results"] as? [[String: Any]])?.first?["address"] as? String == "0x45D0")
        // Registers: word, signed word, block.
        let word = try #require(try post(port, "/api/bms/register/read", #"{"register":"0x09","mode":"word","signed":false}"#, token: false).json)
        #expect(word["value"] as? Double == 15840 && word["hex"] as? String == "0x3DE0" && word["raw_value"] as? Double == 15840)
        let signed = try #require(try post(port, "/api/bms/register/read", #"{"register":"0x0A","mode":"word","signed":true}"#, token: false).json)
        #expect(signed["value"] as? Double == -1250 && signed["raw_value"] as? Double == 64286)
        let block = try #require(try post(port, "/api/bms/register/read", #"{"register":"0x21","mode":"block","length":20}"#, token: false).json)
        #expect(block["length"] as? Double == 20)  // raw bytes as read: the SBS length byte first
        #expect((block["hex"] as? String)?.hasPrefix("0A 42 51 37 38 33 35 30 2D 52 31 00") == true)
        #expect((block["bytes"] as? [Double])?.count == 20)
        // The same routes under /api/packs/{id}/bms.
        #expect(try get(port, "/api/packs/g1/bms").json?["soc"] as? Double == 82)
        #expect(try get(port, "/api/packs/nope/bms").status == 404)
    }

    @Test func writesNeedTokenAdvancedModeConfirmationAndKeys() throws {
        let dir = try TestTools.tempDir("lc30-write")
        var (gw, port) = try start(dir)
        // Token missing → 401, even for a well-formed write.
        #expect(try post(port, "/api/bms/advanced-config", #"{"advanced_mode":true}"#, token: false).status == 401)
        // Advanced mode off → 403 for register and Data Flash writes.
        let off = try post(port, "/api/bms/register/write", #"{"register":"0x01","mode":"word","value":12,"confirm_write":true}"#)
        #expect(off.status == 403 && off.json?["ok"] as? Bool == false)
        #expect(try post(port, "/api/bms/studio/df_write", #"{"address":"0x45CC","value":4200,"size":2,"signed":false,"confirm":true}"#).status == 403)
        let saved = try post(port, "/api/bms/advanced-config", #"{"advanced_mode":true,"soc_source":"weird","voltage_gain":1.0}"#)
        #expect(saved.status == 200 && saved.json?["ok"] as? Bool == true)
        let config = try #require(try get(port, "/api/bms/advanced-config").json?["config"] as? [String: Any])
        #expect(config["advanced_mode"] as? Bool == true && config["soc_source"] as? String == "bms" && config["cell_count"] as? Double == 4)
        // No confirmation → 400; protected register → 403; a good write.
        #expect(try post(port, "/api/bms/register/write", #"{"register":"0x01","mode":"word","value":12}"#).status == 400)
        #expect(try post(port, "/api/bms/register/write", #"{"register":"0x3F","mode":"word","value":12,"confirm_write":true}"#).status == 403)
        let w = try #require(try post(port, "/api/bms/register/write", #"{"register":"0x01","mode":"word","value":12,"confirm_write":true}"#).json)
        #expect(w["ok"] as? Bool == true && w["hex"] as? String == "0x000C")
        #expect(try post(port, "/api/bms/register/read", #"{"register":"0x01","mode":"word"}"#, token: false).json?["value"] as? Double == 12)
        // A register the sealed gauge NACKs: 403 with the reason (the document's error), not 503.
        let sealedWrite = try post(port, "/api/bms/register/write", #"{"register":"0x17","mode":"word","value":19,"confirm_write":true}"#)
        #expect(sealedWrite.status == 403 && (sealedWrite.json?["error"] as? String)?.contains("SEALED and refused the write to register 0x17") == true,
                "\(sealedWrite.status) \(String(describing: sealedWrite.json))")
        // Security: sealed blocks Data Flash; wrong keys refused; right keys unseal.
        #expect(try post(port, "/api/bms/studio/df_read", #"{"class":"gas_gauging"}"#, token: false).status == 403)
        let wrong = try post(port, "/api/bms/studio/security", #"{"action":"unseal","key1":"0x1234","key2":"0x5678"}"#)
        #expect(wrong.status == 403 && (wrong.json?["error"] as? String)?.contains("SEALED") == true)
        let unseal = try post(port, "/api/bms/studio/security", #"{"action":"unseal","key1":"0x0414","key2":"0x3672"}"#)
        #expect(unseal.status == 200 && (unseal.json?["security"] as? [String: String])?["mode"] == "UNSEALED")
        #expect(try post(port, "/api/bms/register/write", #"{"register":"0x17","mode":"word","value":19,"confirm_write":true}"#).json?["ok"] as? Bool == true)
        let full = try post(port, "/api/bms/studio/security", #"{"action":"full_access","key1":"0xFFFF","key2":"0xFFFF"}"#)
        #expect((full.json?["security"] as? [String: String])?["mode"] == "FULL_ACCESS")
        #expect(try get(port, "/api/bms/studio/security").json?["security"] as? [String: String] == ["mode": "FULL_ACCESS"])
        // Data Flash: unknown class 400, write without confirm 400, out of range 400, write + read back.
        #expect(try post(port, "/api/bms/studio/df_read", #"{"class":"nope"}"#, token: false).status == 400)
        #expect(try post(port, "/api/bms/studio/df_write", #"{"address":"0x45CC","value":4200,"size":2}"#).status == 400)
        #expect(try post(port, "/api/bms/studio/df_raw", #"{"address":"0x4800"}"#, token: false).status == 400)
        let df = try #require(try post(port, "/api/bms/studio/df_write", #"{"address":"0x45CC","value":4200,"size":2,"signed":false,"confirm":true}"#).json)
        #expect(df["ok"] as? Bool == true && df["written"] as? Double == 4200 && (df["readback"] as? [String: Any])?["value"] as? Double == 4200)
        let gas = try #require(try post(port, "/api/bms/studio/df_read", #"{"class":"gas_gauging"}"#, token: false).json?["parameters"] as? [[String: Any]])
        #expect(gas.first { $0["address"] as? String == "0x45CC" }?["value"] as? Double == 4200)
        let raw = try #require(try post(port, "/api/bms/studio/df_raw", #"{"address":"0x45CC"}"#, token: false).json)
        #expect((raw["bytes"] as? [Double])?.prefix(2) == [0x68, 0x10])
        // MAC: dangerous needs confirm; a read command answers data.
        #expect(try post(port, "/api/bms/studio/mac", #"{"command":"0x0041","confirm":false}"#).status == 400)
        let dtype = try #require(try post(port, "/api/bms/studio/mac", #"{"command":"0x0001"}"#).json)
        #expect(dtype["ok"] as? Bool == true && dtype["name"] as? String == "DeviceType")
        #expect(try post(port, "/api/bms/studio/mac", #"{"command":"0x0041","confirm":true}"#).json?["ok"] as? Bool == true)
        // Seal again.
        let seal = try post(port, "/api/bms/studio/security", #"{"action":"seal"}"#)
        #expect((seal.json?["security"] as? [String: String])?["mode"] == "SEALED")
        // Calibration: a voltage reference gives the gain of the document's example.
        let cal = try #require(try post(port, "/api/bms/calibration/voltage", #"{"reference_voltage":15.92}"#).json)
        #expect(cal["voltage_gain"] as? Double == 1.005051 && cal["measured_voltage"] as? Double == 15.84)
        #expect(try get(port, "/api/bms").json?["voltage"] as? Double == 15.92)
        let cur = try #require(try post(port, "/api/bms/calibration/current", #"{"reference_current":-1.48}"#).json)
        #expect(cur["current_gain"] as? Double == 1.184)
        // The configuration survives a restart.
        _ = gw.stop()
        (gw, port) = try start(dir)
        defer { _ = gw.stop() }
        let after = try #require(try get(port, "/api/bms/advanced-config").json?["config"] as? [String: Any])
        #expect(after["voltage_gain"] as? Double == 1.005051 && after["advanced_mode"] as? Bool == true)
        let reset = try post(port, "/api/bms/calibration/reset", "{}")
        #expect(reset.status == 200)
        #expect((try get(port, "/api/bms/advanced-config").json?["config"] as? [String: Any])?["voltage_gain"] as? Double == 1)
    }

    @Test func profilesAddImportApply() throws {
        let dir = try TestTools.tempDir("lc30-profiles")
        let (gw, port) = try start(dir)
        defer { _ = gw.stop() }
        let list = try #require(try get(port, "/api/bms/register/profiles").json?["profiles"] as? [String: Any])
        #expect(Set(((list["defaults"] as? [String: Any]) ?? [:]).keys) == ["sbs_monitoring", "manufacturer_strings"])
        #expect(try post(port, "/api/bms/register/profiles", #"{"name":"sbs_monitoring","entries":[{"register":"0x09","mode":"word"}]}"#).status == 400)
        let added = try post(port, "/api/bms/register/profiles",
                             #"{"name":"mon_profil","label":"Mon profil","description":"x","entries":[{"register":"0x09","mode":"word","signed":false,"label":"Voltage"}]}"#)
        #expect(added.status == 200)
        let imported = try post(port, "/api/bms/register/profiles/import",
                                #"{"profiles":{"temps":{"label":"T","entries":[{"register":"0x08","mode":"word","label":"Temperature"}]}}}"#)
        #expect(imported.json?["imported"] as? [String] == ["temps"])
        let custom = try #require((try get(port, "/api/bms/register/profiles").json?["profiles"] as? [String: Any])?["custom"] as? [String: Any])
        #expect(Set(custom.keys) == ["mon_profil", "temps"])
        let applied = try #require(try post(port, "/api/bms/register/profile/apply", #"{"profile":"mon_profil","write_mode":false}"#, token: false).json)
        let row = try #require((applied["results"] as? [[String: Any]])?.first)
        #expect(row["label"] as? String == "Voltage" && row["value"] as? Double == 15840 && row["status"] as? String == "ok")
        let defaults = try #require(try post(port, "/api/bms/register/profile/apply", #"{"profile":"manufacturer_strings"}"#, token: false).json)
        #expect((defaults["results"] as? [[String: Any]])?.count == 3)
        #expect(try post(port, "/api/bms/register/profile/apply", #"{"profile":"nope"}"#, token: false).status == 404)
        // write_mode needs the token, advanced mode and confirm_write.
        #expect(try post(port, "/api/bms/register/profile/apply", #"{"profile":"mon_profil","write_mode":true}"#, token: false).status == 401)
        #expect(try post(port, "/api/bms/register/profile/apply", #"{"profile":"mon_profil","write_mode":true,"confirm_write":true}"#).status == 403)
        _ = try post(port, "/api/bms/advanced-config", #"{"advanced_mode":true}"#)
        #expect(try post(port, "/api/bms/register/profile/apply", #"{"profile":"mon_profil","write_mode":true}"#).status == 400)
        _ = try post(port, "/api/bms/register/profiles",
                     #"{"name":"alarm_setup","entries":[{"register":"0x01","mode":"word","value":250,"label":"RemainingCapacityAlarm"}]}"#)
        let written = try #require(try post(port, "/api/bms/register/profile/apply", #"{"profile":"alarm_setup","write_mode":true,"confirm_write":true}"#).json)
        let result = try #require((written["results"] as? [[String: Any]])?.first)
        #expect(written["write_mode"] as? Bool == true && result["value"] as? Double == 250 && result["status"] as? String == "ok")
    }

    @Test func calibrationRefusesTooLittleCurrent() throws {
        let dir = try TestTools.tempDir("lc30-lowcurrent")
        let (gw, port) = try start(dir, emulator: "current: 20")
        defer { _ = gw.stop() }
        let r = try post(port, "/api/bms/calibration/current", #"{"reference_current":0.025}"#)
        #expect(r.status == 400 && (r.json?["error"] as? String)?.contains("current too low") == true)
        #expect(try post(port, "/api/bms/calibration/current", "{}").status == 400)
    }

    @Test func writesRefusedWhenThePackDoesNotAllowThem() throws {
        let dir = try TestTools.tempDir("lc30-nowrite")
        let (gw, port) = try start(dir, allowWrites: false, packs: 2)
        defer { _ = gw.stop() }
        // Two LC30 packs: only /api/packs/{id}/bms/... routes.
        #expect(try get(port, "/api/bms").status == 404)
        #expect(try get(port, "/api/packs/g2/bms").json?["connected"] as? Bool == true)
        let r = try post(port, "/api/packs/g1/bms/studio/security", #"{"action":"seal"}"#)
        #expect(r.status == 403 && (r.json?["error"] as? String)?.contains("allow_writes") == true)
        let doc = try #require(try get(port, "/openapi.json").json?["paths"] as? [String: Any])
        #expect(doc["/api/packs/{id}/bms/studio/df_write"] != nil && doc["/api/bms"] == nil)
    }
}

/// I2C on a machine without I2C hardware: clear errors, the other buses run.
@Suite struct I2CBusTests {
    @Test func withoutI2CHardware() throws {
        let scan = try TestTools.run(TestTools.bmsgate, ["scan", "--i2c"])
        #expect(scan.status == 1)
        #expect(scan.stderr.contains("no I2C buses on this machine") || scan.stdout.contains("/dev/i2c-"))
        let dir = try TestTools.tempDir("i2c-none")
        try """
            site: noi2c
            buses: [{id: gauge, type: i2c, device: /dev/i2c-nonexistent}, {id: lab, type: sim}]
            packs:
              - {id: g1, driver: lc30, bus: gauge, address: "0x0B", options: {state_file: \(dir)/g1.json}}
              - {id: p1, driver: basen, bus: lab, address: 1}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let r = try TestTools.run(TestTools.bmsgate, ["read", "--config", dir + "/site.yaml", "--format", "json"], timeout: 60)
        let lines = r.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.first { $0["pack"] as? String == "p1" }?["online"] as? Bool == true)
        let error = lines.first { $0["pack"] as? String == "g1" }?["error"] as? String
        #expect(error?.contains("open /dev/i2c-nonexistent") == true, "\(error ?? "nil")")
        let wrongDriver = try TestTools.run(TestTools.bmsgate, ["check", try {
            let path = dir + "/bad.yaml"
            try "buses: [{id: gauge, type: sim, transport: i2c}]\npacks: [{id: p, driver: basen, bus: gauge, address: 1}]\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }()])
        #expect(wrongDriver.status == 1 && wrongDriver.stderr.contains("does not support I2C"))
    }
}
