import Foundation
import Testing

@Suite(.serialized) struct CommandLineTests {
    static let seedHex = "7e0101 7c01100d440d410d400d410d400d3f0d400d410d430d420d420d420d430d420d420d45020175300301270f0401 6d600506004700480048004740482 04b06050000000000000000000007 01001c0801153509012710 0a0100000b0100001a050c010000195d0d01002b27ef0e0100400000 0f01000575061001 00044ba2620d"

    @Test func decodeSeedFramePrintsEveryValue() throws {
        let r = try TestTools.run(TestTools.bmsgate, ["decode", "--driver", "basen", "--hex", Self.seedHex])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["driver"] as? String == "basen")
        #expect(json["voltage"] as? Double == 54.29)
        #expect(json["current"] as? Double == 0)
        #expect(json["soc"] as? Double == 99.99)
        #expect(json["soh"] as? Double == 100)
        #expect(json["full_capacity"] as? Double == 280)
        #expect(json["cycles"] as? Double == 28)
        #expect((json["cells"] as? [Double])?.count == 16)
        #expect((json["cells"] as? [Double])?.first == 3.396)
        #expect(json["cell_min"] as? Double == 3.391)
        #expect(json["cell_max"] as? Double == 3.397)
        #expect(json["cell_delta"] as? Double == 0.006)
        #expect(json["temperatures"] as? [Double] == [21, 22, 22, 21])
        #expect(json["mos_temperature"] as? Double == 22)
        #expect(json["ambient_temperature"] as? Double == 25)
        #expect(json["alarms"] as? [String] == [])
    }

    @Test func decodeRejectsABadChecksumClearly() throws {
        let bad = String(Self.seedHex.dropLast(4)) + "610d"
        let r = try TestTools.run(TestTools.bmsgate, ["decode", "--driver", "basen", "--hex", bad])
        #expect(r.status != 0)
        #expect(r.stderr.contains("checksum 0x61, expected 0x62"))
        let notHex = try TestTools.run(TestTools.bmsgate, ["decode", "--driver", "basen", "--hex", "zz"])
        #expect(notHex.status != 0)
        #expect(notHex.stderr.contains("not hex"))
        let noDriver = try TestTools.run(TestTools.bmsgate, ["decode", "--driver", "nope", "--hex", "7e"])
        #expect(noDriver.status != 0)
        #expect(noDriver.stderr.contains("no driver 'nope'"))
    }

    @Test func checkReportsErrorsWithPositions() throws {
        let dir = try TestTools.tempDir("check")
        let path = dir + "/site.yaml"
        try """
            site: t
            buses:
              - {id: lab, type: sim}
            packs:
              - {id: p1, driver: nosuch, bus: lab, address: 1}
              - {id: p2, driver: basen, bus: lab, address: 2, colour: red}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try TestTools.run(TestTools.bmsgate, ["check", path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(path):6:51: unknown key 'colour' in pack 'p2'"))
        let good = try TestTools.run(TestTools.bmsgate, ["check", TestTools.root + "/config.yaml"])
        #expect(good.status == 0, "\(good.stderr)")
        try """
            buses: [{id: lab, type: sim}]
            packs:
              - {id: p1, driver: nosuch, bus: lab, address: 1}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let unknown = try TestTools.run(TestTools.bmsgate, ["check", path])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("\(path):3:22: unknown driver 'nosuch' for pack 'p1'"))
    }

    @Test func readPollsTheDefaultSimulatedSite() throws {
        let r = try TestTools.run(TestTools.bmsgate, ["read", "--config", "config.yaml", "--format", "json"], cwd: TestTools.root)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(lines.map { $0["pack"] as? String } == ["p1", "p2", "rec1", "jk1", "jk2", "lc30", "us2000", "daly1", "jbd1", "jbd2"])
        #expect(lines[5]["voltage"] as? Double == 15.84)  // the bq78350 emulator on a simulated I2C bus
        #expect((lines[2]["cells"] as? [Double])?.count == 28)  // the REC MultiBMS: 2 units x 14 cells
        #expect((lines[4]["extras"] as? [String: Any])?["protocol_version"] as? String == "JK02_32S")  // over emulated BLE
        #expect(lines.allSatisfy { $0["online"] as? Bool == true })
        let volts = try #require(lines.first?["voltage"] as? Double)
        #expect(volts >= 54.28 && volts <= 54.31)  // the seed pack, drifting by a millivolt per poll
        let identity = lines.first?["identity"] as? [String: Any]
        #expect(identity?["serial"] as? String == "BG48280-2024-0001")
        let extras = lines.first?["extras"] as? [String: Any]
        #expect(extras?["cell_ov_start"] as? Double == 3.65)
        let table = try TestTools.run(TestTools.bmsgate, ["read", "--config", "config.yaml", "--pack", "p2"], cwd: TestTools.root)
        #expect(table.status == 0)
        #expect(table.stdout.contains("p2"))
        #expect(table.stdout.contains("online"))
    }
}
