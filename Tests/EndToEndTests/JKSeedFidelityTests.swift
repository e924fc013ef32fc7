import Foundation
import Testing

/// What the JK NW document (shared/seeds/jk-bms-rs485-protocol.md) asks and the emulator
/// enforces: the pair code before a parameter change, waking a BMS that falls asleep
/// whenever it does, 100 ms between packets, record numbers matching answers to requests,
/// the parameter password never echoed, active uploads decoded, 0x79 read alone.
@Suite(.serialized) struct JKSeedFidelityTests {
    func site(_ dir: String, tty: String, pairCode: String?, name: String = "site") throws -> String {
        let path = dir + "/\(name).yaml"
        let options = pairCode.map { ", options: {pair_code: \"\($0)\"}" } ?? ""
        try """
            site: jkseed
            buses: [{id: rs, type: serial, device: \(tty)}]
            packs: [{id: j, driver: jk-bms, bus: rs, address: 1, allow_writes: true, timeout: 400ms\(options)}]
            sinks: [{type: file, path: \(dir)/readings.jsonl}]
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func simulator(_ dir: String) throws -> (Child, String) {
        let tty = dir + "/ttyJK"
        let sim = try Child(TestTools.bmsgate, ["simulate", "--driver", "jk-bms", "--link", tty, "--address", "1", "--option", "pair_code=8888"])
        #expect(TestTools.waitUntil(10) { FileManager.default.fileExists(atPath: tty) })
        return (sim, tty)
    }

    /// One `bmsgate command` process. The 100 ms gap is kept within a process; between two
    /// processes the test leaves it (a new process can start within 100 ms of the last).
    func command(_ config: String, _ request: String) throws -> TestTools.Output {
        defer { usleep(150_000) }
        return try TestTools.run(TestTools.bmsgate, ["command", "--config", config, "--pack", "j", "--log-level", "debug", request], timeout: 60)
    }

    @Test func writesSendThePairCodeAndKeepTheGap() throws {
        let dir = try TestTools.tempDir("jk-pair")
        let (sim, tty) = try simulator(dir)
        let set = #"{"op":"set","register":"cell_overvoltage_protection","value":3.6,"confirm":true}"#
        let none = try command(try site(dir, tty: tty, pairCode: nil, name: "none"), set)
        #expect(none.status != 0 && none.stderr.contains("did not acknowledge the write") && none.stderr.contains("pair_code"), "\(none.stderr)")
        let wrong = try command(try site(dir, tty: tty, pairCode: "1234", name: "wrong"), set)
        #expect(wrong.status != 0 && wrong.stderr.contains("did not accept the pair code"), "\(wrong.stderr)")
        let good = try command(try site(dir, tty: tty, pairCode: "8888", name: "good"), set)
        #expect(good.status == 0 && good.stdout.contains(#""previous":3.65"#) && good.stdout.contains(#""value":3.6"#), "\(good.stdout) \(good.stderr)")
        for out in [none, wrong, good] {
            #expect(!out.stdout.contains("8888") && !out.stderr.contains("8888") && !out.stderr.contains("1234"), "a pair code was shown")
        }
        // The parameter password: never read out, echoed or logged, even at debug level.
        let password = try command(try site(dir, tty: tty, pairCode: "8888", name: "good"),
                                   #"{"op":"set","register":"parameter_password","value":"654321","confirm":true}"#)
        #expect(password.status == 0, "\(password.stderr)")
        #expect(password.stdout.contains(#""previous":"****","value":"****""#), "\(password.stdout)")
        for secret in ["654321", "123456"] {
            #expect(!password.stdout.contains(secret) && !password.stderr.contains(secret), "the password was shown")
        }
        #expect(password.stderr.contains("parameter_password set from **** to ****"), "\(password.stderr)")
        // Every transaction above (reads, pair, write, read-back) kept 100 ms from the last.
        sim.send("status")
        usleep(300_000)
        let out = sim.stop()
        #expect(out.stdout.contains("packets closer than 100 ms: 0"), "\(out.stdout.suffix(300))")
    }

    @Test func aBMSThatFallsAsleepAgainIsWokenAgain() throws {
        let dir = try TestTools.tempDir("jk-wake")
        let (sim, tty) = try simulator(dir)
        defer { _ = sim.stop() }
        let gw = try Child(TestTools.bmsgate, ["run", "--config", try site(dir, tty: tty, pairCode: nil)])
        defer { _ = gw.stop() }
        func good() -> Int { TestTools.jsonLines(dir + "/readings.jsonl").filter { $0["pack"] as? String == "j" && $0["cells"] != nil }.count }
        #expect(TestTools.waitUntil(15) { good() >= 2 })
        for round in 1...2 {
            sim.send("sleep 1")
            usleep(1_500_000)
            let before = good()
            #expect(TestTools.waitUntil(10) { good() >= before + 2 }, "round \(round): no reading after the BMS fell asleep")
        }
        let log = gw.stop().stderr
        #expect(log.components(separatedBy: "sending the activation command").count - 1 >= 2, "\(log.suffix(1500))")
    }

    @Test func answersMatchTheirRequestAndUploadsAreRead() throws {
        let dir = try TestTools.tempDir("jk-record")
        let (sim, tty) = try simulator(dir)
        defer { _ = sim.stop() }
        let config = try site(dir, tty: tty, pairCode: nil)
        func read() throws -> [String: Any]? {
            let r = try TestTools.run(TestTools.bmsgate, ["read", "--config", config, "--format", "json"], timeout: 60)
            return TestTools.jsonObjects(r.stdout).first { $0["pack"] as? String == "j" && $0["cells"] != nil }
        }
        // An answer to an earlier request (another record number, SoC 1) comes first: skipped.
        sim.send("stale 1")
        usleep(200_000)
        #expect(try read()?["soc"] as? Double == 76)
        // Timed broadcast: the BMS answers read-all with an active upload (type 2) only.
        sim.send("broadcast 1 on")
        usleep(200_000)
        let uploaded = try read()
        #expect(uploaded?["soc"] as? Double == 76 && (uploaded?["cells"] as? [Double])?.count == 16, "\(String(describing: uploaded))")
        sim.send("broadcast 1 off")
        // An unasked upload ahead of an answer, then 0x79 read alone.
        sim.send("upload 1")
        usleep(200_000)
        let cells = try command(config, #"{"op":"get","register":"0x79"}"#)
        #expect(cells.status == 0 && cells.stdout.contains(#""value":[3.3,3.307,"#), "\(cells.stdout) \(cells.stderr)")
    }
}
