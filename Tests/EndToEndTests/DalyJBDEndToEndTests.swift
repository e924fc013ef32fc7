import Foundation
import Testing

/// The Daly and JBD plugins as a user runs them: `bmsgate simulate` behind a pty, `scan`,
/// `read`, `decode` of captured frames, a board that stops answering and comes back, a
/// sleeping JBD board, BLE packs on a simulated BLE bus, and the MOSFET write through
/// `bmsgate command` (refused without allow_writes and confirm, read back, logged).
@Suite(.serialized) struct DalyJBDEndToEndTests {
    func json(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test func dalyBoardsOnOneLine() throws {
        let dir = try TestTools.tempDir("daly"), tty = dir + "/ttyDALY"
        let sim = try Child(TestTools.bmsgate, ["simulate", "--driver", "daly", "--link", tty, "--address", "1", "--address", "2"])
        defer { _ = sim.stop() }
        #expect(TestTools.waitUntil(10) { FileManager.default.fileExists(atPath: tty) })
        let scan = try TestTools.run(TestTools.bmsgate, ["scan", "--driver", "daly", "--device", tty, "--to", "3"], timeout: 60)
        #expect(scan.status == 0, "\(scan.stderr)")
        let rows = scan.stdout.split(whereSeparator: \.isNewline)
        #expect(rows.count == 2 && rows[0].hasPrefix("1\tDaly board 1") && rows[1].hasPrefix("2\tDaly board 2"), "\(scan.stdout)")
        try """
            site: daly
            buses: [{id: rs, type: serial, device: \(tty)}]
            packs:
              - {id: a, driver: daly, bus: rs, address: 1, allow_writes: true}
              - {id: b, driver: daly, bus: rs, address: 2}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let read = try TestTools.run(TestTools.bmsgate, ["read", "--config", dir + "/site.yaml", "--format", "json"], timeout: 60)
        #expect(read.status == 0, "\(read.stderr)")
        let lines = json(read.stdout)
        let a = try #require(lines.first { $0["pack"] as? String == "a" }), b = try #require(lines.first { $0["pack"] as? String == "b" })
        #expect((a["cells"] as? [Double])?.count == 16 && (a["temperatures"] as? [Double]) == [21, 22])
        #expect(a["current"] as? Double == -12.5 && a["soc"] as? Double == 64.5 && a["cycles"] as? Double == 17)
        #expect(b["current"] as? Double == 8 && b["soc"] as? Double == 68.5 && (b["status"] as? [String]) == ["charging"])

        // A failure bit raised in the board reaches the reading as a canonical alarm.
        sim.send("fail 2 0 1")
        Thread.sleep(forTimeInterval: 0.3)
        let alarmed = json(try TestTools.run(TestTools.bmsgate, ["read", "--config", dir + "/site.yaml", "--format", "json"], timeout: 60).stdout)
        #expect((alarmed.first { $0["pack"] as? String == "b" }?["alarms"] as? [String]) == ["cell_overvoltage"])

        // MOSFET write: refused without confirm, then done and read back.
        let unconfirmed = try TestTools.run(TestTools.bmsgate, ["command", "--config", dir + "/site.yaml", "--pack", "a", #"{"op":"mos","charge":false}"#], timeout: 60)
        #expect(unconfirmed.status != 0 && unconfirmed.stderr.contains(#"needs "confirm": true"#), "\(unconfirmed.stderr)")
        let locked = try TestTools.run(TestTools.bmsgate, ["command", "--config", dir + "/site.yaml", "--pack", "b", #"{"op":"mos","charge":false,"confirm":true}"#], timeout: 60)
        #expect(locked.status == 3 && locked.stderr.contains("writes are off"), "\(locked.stderr)")
        let off = try TestTools.run(TestTools.bmsgate, ["command", "--config", dir + "/site.yaml", "--pack", "a", #"{"op":"mos","charge":false,"confirm":true}"#], timeout: 60)
        #expect(off.status == 0 && off.stdout.contains(#""charge":false,"discharge":true"#), "\(off.stdout) \(off.stderr)")
        #expect(off.stderr.contains("Daly board 1 MOSFETs: charge on → off"), "\(off.stderr)")

        // Board 2 unplugged, then back.
        sim.send("silence 2")
        Thread.sleep(forTimeInterval: 0.3)
        let partial = try TestTools.run(TestTools.bmsgate, ["read", "--config", dir + "/site.yaml", "--format", "json"], timeout: 60)
        let after = json(partial.stdout)
        #expect(after.first { $0["pack"] as? String == "a" }?["charge_enabled"] as? Bool == false)
        #expect(!after.contains { $0["pack"] as? String == "b" && $0["cells"] != nil }, "\(partial.stdout.prefix(300))")
        sim.send("answer 2")
        Thread.sleep(forTimeInterval: 0.3)
        let again = try TestTools.run(TestTools.bmsgate, ["read", "--config", dir + "/site.yaml", "--format", "json"], timeout: 60)
        #expect(again.status == 0 && json(again.stdout).filter { $0["cells"] != nil }.count == 2)
    }

    @Test func aJBDBoardThatSleeps() throws {
        let dir = try TestTools.tempDir("jbd"), tty = dir + "/ttyJBD"
        let sim = try Child(TestTools.bmsgate, ["simulate", "--driver", "jbd", "--link", tty])
        defer { _ = sim.stop() }
        #expect(TestTools.waitUntil(10) { FileManager.default.fileExists(atPath: tty) })
        let scan = try TestTools.run(TestTools.bmsgate, ["scan", "--driver", "jbd", "--device", tty], timeout: 60)
        #expect(scan.status == 0 && scan.stdout.contains("JBD BMS JBD-SP16S020-L16S-100A"), "\(scan.stdout) \(scan.stderr)")
        try """
            site: jbd
            buses: [{id: uart, type: serial, device: \(tty)}]
            packs: [{id: j, driver: jbd, bus: uart}]
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        sim.send("set soc=55 current=12.5 cell2=3.45")
        sim.send("sleep")
        Thread.sleep(forTimeInterval: 0.3)
        let read = try TestTools.run(TestTools.bmsgate, ["read", "--config", dir + "/site.yaml", "--format", "json"], timeout: 60)
        #expect(read.status == 0, "a sleeping board is asked again: \(read.stderr)")
        let j = try #require(json(read.stdout).first)
        #expect(j["soc"] as? Double == 55 && j["current"] as? Double == 12.5)
        #expect((j["cells"] as? [Double])?[1] == 3.45 && (j["balancing"] as? [Int]) == [2])
        #expect((j["identity"] as? [String: Any])?["model"] as? String == "JBD-SP16S020-L16S-100A")
        let locked = try TestTools.run(TestTools.bmsgate, ["command", "--config", dir + "/site.yaml", "--pack", "j", #"{"op":"mos","discharge":false,"confirm":true}"#], timeout: 60)
        #expect(locked.status == 3 && locked.stderr.contains("writes are off"), "\(locked.stderr)")
    }

    @Test func capturedFramesDecodeFromTheCommandLine() throws {
        let daly = try TestTools.run(TestTools.bmsgate, ["decode", "--driver", "daly", "--hex", "a5 01 90 08 02 03 00 00 77 24 03 38 19",
                                                          "--hex", "a5 01 93 08 02 01 01 71 00 04 86 c0 00"])
        #expect(daly.status == 0, "\(daly.stderr)")
        let d = try #require(json(daly.stdout).first)
        #expect(d["voltage"] as? Double == 51.5 && d["current"] as? Double == -50 && d["soc"] as? Double == 82.4 && d["remaining_capacity"] as? Double == 296.64)
        let jbd = try TestTools.run(TestTools.bmsgate, ["decode", "--driver", "jbd",
                                                         "--hex", "dd 04 00 08 0d 66 0d 61 0d 68 0d 59 fe 3c 77"])
        #expect(jbd.status == 0 && (json(jbd.stdout).first?["cells"] as? [Double]) == [3.43, 3.425, 3.432, 3.417], "\(jbd.stderr)")
        let bad = try TestTools.run(TestTools.bmsgate, ["decode", "--driver", "jbd", "--hex", "dd 04 00 08 0d 66 0d 61 0d 68 0d 59 fe 3d 77"])
        #expect(bad.status != 0 && bad.stderr.contains("checksum"), "\(bad.stderr)")
        let short = try TestTools.run(TestTools.bmsgate, ["decode", "--driver", "daly", "--hex", "a5 01 90 08 02 03"])
        #expect(short.status != 0 && short.stderr.contains("truncated"), "\(short.stderr)")
    }

    @Test func bothOverASimulatedBLEBus() throws {
        let dir = try TestTools.tempDir("daly-jbd-ble")
        try """
            site: ble
            buses: [{id: radio, type: sim, transport: ble}]
            packs:
              - {id: d, driver: daly, bus: radio, address: "17:71:06:12:34:56", timeout: 3s}
              - {id: j, driver: jbd, bus: radio, address: "A4:C1:38:12:34:56", timeout: 3s}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let read = try TestTools.run(TestTools.bmsgate, ["read", "--config", dir + "/site.yaml", "--format", "json"], timeout: 60)
        #expect(read.status == 0, "\(read.stderr)")
        let lines = json(read.stdout)
        #expect(lines.count == 2 && lines.allSatisfy { ($0["cells"] as? [Double])?.count == 16 }, "\(read.stdout.prefix(400))")
        #expect(read.stderr.contains("17:71:06:12:34:56: connected") && read.stderr.contains("A4:C1:38:12:34:56: connected"))
    }
}
