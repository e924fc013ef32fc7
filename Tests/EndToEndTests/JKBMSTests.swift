import Foundation
import Testing

/// The JK plugin as a user runs it: two BMSes on one simulated RS485 line (NW protocol),
/// a captured frame decoded, a setting written through `bmsgate command`.
@Suite struct JKBMSEndToEndTests {
    func site(_ dir: String, allowWrites: Bool = false, extraPack: Bool = true) throws -> String {
        let path = dir + "/site-\(allowWrites).yaml"
        try """
            site: jk
            buses: [{id: rs485, type: sim, line_rate: 115200}]
            packs:
              - {id: j1, driver: jk-bms, bus: rs485, address: 1, allow_writes: \(allowWrites)}
            \(extraPack ? "  - {id: j2, driver: jk-bms, bus: rs485, address: 2}" : "")
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func readsTwoPacksOnOneLine() throws {
        let dir = try TestTools.tempDir("jk")
        let r = try TestTools.run(TestTools.bmsgate, ["read", "--config", try site(dir), "--format", "json"], timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.map { $0["pack"] as? String } == ["j1", "j2"])
        #expect(lines.map { $0["current"] as? Double } == [6.25, -10.5])  // terminal 1 charges, 2 discharges
        for line in lines {
            #expect((line["cells"] as? [Double])?.count == 16)
            #expect(line["charge_enabled"] as? Bool == true)
            let identity = line["identity"] as? [String: Any]
            #expect(identity?["firmware"] as? String == "11.XW_S11.26___")
            #expect((line["extras"] as? [String: Any])?["cell_overvoltage_protection"] as? Double == 3.65)
        }
    }

    @Test func decodesACapturedFrame() throws {
        let hex = "4E 57 00 13 00 00 00 00 06 03 00 00 00 00 00 00 68 00 00 01 29"  // the request: holds no data
        let bad = try TestTools.run(TestTools.bmsgate, ["decode", "--driver", "jk-bms", "--hex", hex])
        #expect(bad.status != 0)
        let capture = JKCapture.sevenCells
        let r = try TestTools.run(TestTools.bmsgate, ["decode", "--driver", "jk-bms", "--hex", hex, "--hex", capture])
        #expect(r.status == 0, "\(r.stderr)")
        let reading = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(reading["voltage"] as? Double == 26.58)
        #expect(reading["soc"] as? Double == 90)
        let corrupt = try TestTools.run(TestTools.bmsgate, ["decode", "--driver", "jk-bms", "--hex", String(capture.dropLast(2)) + "8A"])
        #expect(corrupt.status != 0)
        #expect(corrupt.stderr.contains("checksum"), "\(corrupt.stderr)")
    }

    @Test func writesASettingWithConfirmAndReadBack() throws {
        let dir = try TestTools.tempDir("jk-write")
        func command(_ config: String, _ request: String) throws -> TestTools.Output {
            try TestTools.run(TestTools.bmsgate, ["command", "--config", config, "--pack", "j1", request], timeout: 60)
        }
        let set = #"{"op":"set","register":"cell_overvoltage_protection","value":3.6,"confirm":true}"#
        let locked = try command(try site(dir, extraPack: false), set)
        #expect(locked.status == 3, "\(locked.stderr)")
        #expect(locked.stderr.contains("writes are off for this pack"))
        let open = try site(dir, allowWrites: true, extraPack: false)
        let get = try command(open, #"{"op":"get","register":"0x90"}"#)
        #expect(get.status == 0, "\(get.stderr)")
        #expect(get.stdout.contains(#""value":3.65"#))
        let range = try command(open, #"{"op":"set","register":"cell_overvoltage_protection","value":5,"confirm":true}"#)
        #expect(range.status == 1 && range.stderr.contains("must be within 1...4.5 V"))
        let readOnly = try command(open, #"{"op":"set","register":"software_version","value":"x","confirm":true}"#)
        #expect(readOnly.status == 3 && readOnly.stderr.contains("read-only"))
        let unconfirmed = try command(open, #"{"op":"set","register":"cell_overvoltage_protection","value":3.6}"#)
        #expect(unconfirmed.status == 1 && unconfirmed.stderr.contains(#"needs "confirm": true"#))
        let written = try command(open, set)
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.contains(#""previous":3.65"#) && written.stdout.contains(#""value":3.6"#))
        #expect(written.stderr.contains("cell_overvoltage_protection set from 3.65 to 3.6"))
        let list = try command(open, #"{"op":"list"}"#)
        #expect(list.stdout.contains(#"{"register":"cell_overvoltage_protection","code":"0x90","access":"RW","unit":"V","min":1,"max":4.5}"#))
        let password = try command(open, #"{"op":"get","register":"parameter_password"}"#)
        #expect(password.status == 3 && !password.stdout.contains("123456") && !password.stderr.contains("123456"))
    }
}

/// A captured read-all answer of a 7-cell JK BMS (public, jkbms-esp32 notes).
enum JKCapture {
    static let sevenCells =
        "4E570106000000000600017915010ED2020ED2030ED2040ED2050EDB060EDB070EDB80001C81001C82001C830A62840000855A860287000089000000058A00078B00"
        + "008C00038E0B7C8F07B6901068911054920003930B04940B2295000396012C9700C898012C9900199A001E9B0BB89C000A9D019E00649F0050A00046A1003CA20014"
        + "A30046A40046A5FFECA6FFF6A7FFECA8FFF6A907AA00000075AB01AC01AD03CCAE01AF01B0000AB114B231323334353600000000B300B4496E707574205573B53234"
        + "3037B600000819B731312E58415F5331312E35315F5F5FB800B900000075BA496E707574205573657264614A4B5F423141385332305000C001000000006800004D89"
}
