import Foundation
import Testing

/// The REC plugin as a user runs it: a simulated MultiBMS pack read once, and captured
/// request/answer frames decoded by `bmsgate decode`.
@Suite struct RECBMSEndToEndTests {
    @Test func readsASimulatedMultiBMSPack() throws {
        let dir = try TestTools.tempDir("rec")
        try """
            site: rec
            buses: [{id: lab, type: sim, line_rate: 38400, emulator: {units: 2, cells: 4}}]
            packs:
              - {id: r1, driver: rec-bms, bus: lab, address: 1, timeout: 500ms, options: {throttle: 5, rotate: 60}}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let r = try TestTools.run(TestTools.bmsgate, ["read", "--config", dir + "/site.yaml", "--format", "json"], timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        let reading = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(reading["online"] as? Bool == true)
        #expect((reading["cells"] as? [Double])?.count == 8)
        #expect((reading["temperatures"] as? [Double])?.count == 4)
        #expect(reading["current"] as? Double == -12.5)
        #expect(reading["soc"] as? Double == 72)
        #expect(reading["full_capacity"] as? Double == 280)
        let identity = try #require(reading["identity"] as? [String: Any])
        #expect(identity["model"] as? String == "REC BMS MASTER")
        #expect(identity["manufacturer"] as? String == "REC")
        let extras = try #require(reading["extras"] as? [String: Any])
        #expect(extras["bms_units"] as? Double == 2)
        #expect(extras["balance_end"] as? Double == 3.58)
        #expect(extras["chemistry_name"] as? String == "LiFePO4 Winston")
    }

    @Test func decodesCapturedFrames() throws {
        // LCD1? then its two answer frames ("28", then 7 floats), from address 1.
        let r = try TestTools.run(TestTools.bmsgate, ["decode", "--driver", "rec-bms",
            "--hex", "550100054c4344313f46d0aa",
            "--hex", "5500010232388eb4aa",
            "--hex", "5500011c333353400ad75340000048c10000b8416f123942ec51383f48e17a3fbeb0aa"])
        #expect(r.status == 0, "\(r.stderr)")
        let reading = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(reading["voltage"] as? Double == 46.268)
        #expect(reading["current"] as? Double == -12.5)
        #expect(reading["soc"] as? Double == 72)
        #expect(reading["soh"] as? Double == 98)
        let bad = try TestTools.run(TestTools.bmsgate, ["decode", "--driver", "rec-bms", "--hex", "5500010232388eb5aa"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("CRC"))
    }

    /// `bmsgate command`: a setting written only when the pack allows writes, within its
    /// range, confirmed, read back and logged.
    @Test func writesASettingThroughTheCommandLine() throws {
        let dir = try TestTools.tempDir("rec-write")
        func site(allowWrites: Bool) throws -> String {
            let path = dir + "/site-\(allowWrites).yaml"
            try """
                site: recw
                buses: [{id: lab, type: sim, emulator: {units: 1}}]
                packs: [{id: r1, driver: rec-bms, bus: lab, address: 1, allow_writes: \(allowWrites), options: {throttle: 5}}]
                """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        func command(_ config: String, _ request: String) throws -> TestTools.Output {
            try TestTools.run(TestTools.bmsgate, ["command", "--config", config, "--pack", "r1", request], timeout: 60)
        }
        let set = #"{"op":"set","instruction":"BVOL","value":3.9,"confirm":true}"#
        let locked = try command(try site(allowWrites: false), set)
        #expect(locked.status == 3)
        #expect(locked.stderr.contains("error: pack r1: writes are off for this pack: set allow_writes: true in its config"))

        let open = try site(allowWrites: true)
        let get = try command(open, #"{"op":"get","instruction":"BVOL"}"#)
        #expect(get.status == 0, "\(get.stderr)")
        #expect(get.stdout.contains(#""value":3.58"#))
        let unconfirmed = try command(open, #"{"op":"set","instruction":"BVOL","value":3.9}"#)
        #expect(unconfirmed.status == 1)
        #expect(unconfirmed.stderr.contains(#"writing BVOL needs "confirm": true"#))
        let outOfRange = try command(open, #"{"op":"set","instruction":"BVOL","value":9,"confirm":true}"#)
        #expect(outOfRange.status == 1)
        #expect(outOfRange.stderr.contains("BVOL must be within 2.5...4.3"))
        let written = try command(open, set)
        #expect(written.status == 0, "\(written.stderr)")
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(written.stdout.utf8)) as? [String: Any])
        #expect(answer["ok"] as? Bool == true)
        #expect(answer["previous"] as? Double == 3.58)
        #expect(answer["value"] as? Double == 3.9)  // read back from the BMS
        #expect(written.stderr.contains("BVOL set from 3.58 to 3.9"))
        // The log names the command and its outcome, never the request body.
        #expect(written.stderr.contains("pack r1: command set ok"))
        #expect(!written.stderr.contains(#""instruction""#))
        let bad = try command(open, "not json")
        #expect(bad.status == 2)
    }
}
