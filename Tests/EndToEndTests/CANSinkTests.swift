import BMSGate
import Foundation
import Testing

/// The can sink against a real peer: python-can's slcan interface on the other end of a
/// linked pty pair (socat) reads the frames and decodes them on its own; the values must be
/// the bank's, the failsafe must reach the inverter within stale_after + one period, the
/// last set at shutdown is 0 A, and a link that goes away and comes back is survived.
@Suite(.serialized) struct CANSinkTests {
    struct Peer {
        let process: Process
        let output: String
        /// Every frame so far, in order.
        var frames: [[String: Any]] {
            ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n")
                .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
        /// What the peer wrote to stderr (empty while it is well).
        var errors: String { (try? String(contentsOfFile: output + ".err", encoding: .utf8)) ?? "" }
        func latest(_ id: Int) -> [String: Any]? {
            frames.last { $0["id"] as? Int == id }?["decoded"] as? [String: Any]
        }
    }

    /// Two linked ptys `<dir>/gateway` and `<dir>/inverter`.
    func linkedTerminals(_ dir: String) throws -> Process {
        let socat = Process()
        socat.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
        socat.arguments = ["pty,raw,echo=0,link=\(dir)/gateway", "pty,raw,echo=0,link=\(dir)/inverter"]
        try TestTools.spawn(socat)
        #expect(TestTools.waitUntil(5) { FileManager.default.fileExists(atPath: dir + "/gateway") && FileManager.default.fileExists(atPath: dir + "/inverter") })
        return socat
    }

    func peer(_ dir: String, seconds: Int, extra: [String] = []) throws -> Peer {
        let out = dir + "/peer-\(UUID().uuidString.prefix(6)).jsonl"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestTools.python)
        p.arguments = [TestTools.pythonTools + "/can_peer.py", dir + "/inverter", "\(seconds)"] + extra
        p.standardOutput = FileHandle(forWritingAtPath: out)
        // Its own errors beside its frames (a peer that died says why there).
        _ = FileManager.default.createFile(atPath: out + ".err", contents: nil)
        p.standardError = FileHandle(forWritingAtPath: out + ".err")
        try TestTools.spawn(p)
        return Peer(process: p, output: out)
    }

    func site(_ dir: String, extra: String = "", period: String = "500ms") throws {
        try """
            site: can-test
            buses:
              - {id: rack1, type: serial, device: \(dir)/tty1, baud: 9600}
              - {id: rack2, type: serial, device: \(dir)/tty2, baud: 9600}
            packs:
              - {id: p1, driver: basen, bus: rack1, address: 1, poll_interval: 300ms, timeout: 200ms, retries: 0}
              - {id: p2, driver: basen, bus: rack2, address: 2, poll_interval: 300ms, timeout: 200ms, retries: 0}
            banks:
              - id: main
                packs: [p1, p2]
                stale_after: 1500ms
                limits: {charge_current: 100, discharge_current: 150, charge_voltage: 55.2}
            sinks:
              - {type: can, bank: main, profile: pylon, device: \(dir)/gateway, discharge_voltage: 48.0, period: \(period)\(extra)}
              - {type: http, listen: "127.0.0.1:0"}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
    }

    @Test func theInverterSeesTheBanksValuesTheFailsafeAndTheLastWord() throws {
        let dir = try TestTools.tempDir("can-pylon")
        let socat = try linkedTerminals(dir)
        defer { socat.terminate() }
        let sim1 = try ModbusSunSpecTests.simulator(dir + "/tty1", addresses: [1])
        defer { _ = sim1.stop() }
        var sim2 = try ModbusSunSpecTests.simulator(dir + "/tty2", addresses: [2])
        defer { _ = sim2.stop() }
        sim1.send("set 1 drift=off")
        sim2.send("set 2 drift=off")
        try site(dir)
        let inverter = try peer(dir, seconds: 40)
        defer { inverter.process.terminate() }
        let gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        var stopped = false
        defer { if !stopped { _ = gw.stop() } }
        let http = try gw.port("http")

        // Both packs online: the frames carry the bank's values.
        #expect(TestTools.waitUntil(20) { (inverter.latest(0x351)?["charge_current"] as? Double ?? 0) > 0 && inverter.latest(0x359)?["modules"] as? Int == 2 })
        Thread.sleep(forTimeInterval: 1.2)
        let bank = try #require(((try HTTPAPITests.curl(http, "GET", "/api/site").json?["banks"]) as? [[String: Any]])?.first)
        let limits = try #require(bank["limits"] as? [String: Any])
        let l351 = try #require(inverter.latest(0x351)), l355 = try #require(inverter.latest(0x355)), l356 = try #require(inverter.latest(0x356))
        #expect(l351["charge_voltage"] as? Double == 55.2)
        #expect(l351["discharge_voltage"] as? Double == 48.0)
        #expect(l351["charge_current"] as? Double == limits["charge_current"] as? Double)
        #expect(l351["discharge_current"] as? Double == limits["discharge_current"] as? Double)
        #expect(abs((l356["voltage"] as? Double ?? 0) - (bank["voltage"] as? Double ?? -1)) < 0.006)
        #expect(abs((l356["current"] as? Double ?? 0) - (bank["current"] as? Double ?? -1)) < 0.06)
        #expect(Double(l355["soc"] as? Int ?? -1) == (bank["soc"] as? Double).map { $0.rounded() })
        #expect(inverter.latest(0x35C)?["charge_enable"] as? Bool == true && inverter.latest(0x35C)?["discharge_enable"] as? Bool == true)
        #expect(inverter.latest(0x35E)?["name"] as? String == "PYLON   ")
        #expect(inverter.latest(0x359)?["pn"] as? String == "PN" && inverter.latest(0x359)?["protection"] as? Int == 0)
        // The gateway heard the keepalive.
        let listed = try HTTPAPITests.curl(http, "GET", "/api/sinks")
        #expect(listed.status == 200 && listed.body.contains("\"inverter\""))
        let health = try #require(try HTTPAPITests.curl(http, "GET", "/healthz").json?["sinks"] as? [[String: Any]])
        let can = try #require(health.first { ($0["name"] as? String)?.hasPrefix("can ") == true })
        #expect(can["inverter_seen"] as? Double == 1)
        #expect(((can["status"] as? [String: Any])?["inverter"] as? [String: Any])?["seen"] as? Bool == true)
        #expect(((can["status"] as? [String: Any])?["summary"] as? String)?.contains("inverter heard") == true, "the terminal table's line")
        // A set every period (its jitter is measured by `make bench`, not asserted here).
        let sets = inverter.frames.filter { $0["id"] as? Int == 0x351 }.count
        Thread.sleep(forTimeInterval: 2)
        #expect(inverter.frames.filter { $0["id"] as? Int == 0x351 }.count >= sets + 3)

        // One pack's emulator dies: 0 A within stale_after + one period (+ a poll).
        let killedAt = Double(MonotonicClock.nowMs()) / 1000
        _ = sim2.stop()
        #expect(TestTools.waitUntil(10) { inverter.latest(0x351)?["charge_current"] as? Double == 0 })
        let zeroAt = inverter.frames.first { ($0["t"] as? Double ?? 0) > killedAt && ($0["decoded"] as? [String: Any])?["charge_current"] as? Double == 0 }?["t"] as? Double
        let delay = (zeroAt ?? 99) - killedAt
        print("can failsafe: 0 A reached the inverter \(String(format: "%.2f", delay)) s after the pack died (stale_after 1.5 s + period 0.5 s)")
        #expect(delay <= 1.5 + 0.5 + 0.3 + 0.3, "\(delay) s")
        #expect(inverter.latest(0x351)?["discharge_current"] as? Double == 0)
        #expect(TestTools.waitUntil(3) { inverter.latest(0x35C)?["charge_enable"] as? Bool == false })
        #expect(inverter.latest(0x35C)?["discharge_enable"] as? Bool == false)

        // Back: the limits return.
        sim2 = try ModbusSunSpecTests.simulator(dir + "/tty2", addresses: [2])
        #expect(TestTools.waitUntil(15) { (inverter.latest(0x351)?["charge_current"] as? Double ?? 0) > 0 })

        // Shutdown: the last set says 0 A both ways.
        _ = gw.stop()
        stopped = true
        Thread.sleep(forTimeInterval: 0.5)
        #expect(inverter.latest(0x351)?["charge_current"] as? Double == 0)
        #expect(inverter.latest(0x351)?["discharge_current"] as? Double == 0)
        #expect(inverter.latest(0x35C)?["charge_enable"] as? Bool == false)
    }

    @Test func garbageAndAnUnpluggedAdapterAreSurvived() throws {
        let dir = try TestTools.tempDir("can-unplug")
        var socat = try linkedTerminals(dir)
        let sim1 = try ModbusSunSpecTests.simulator(dir + "/tty1", addresses: [1])
        defer { _ = sim1.stop() }
        let sim2 = try ModbusSunSpecTests.simulator(dir + "/tty2", addresses: [2])
        defer { _ = sim2.stop() }
        try site(dir)
        var inverter = try peer(dir, seconds: 8, extra: ["--garbage"])
        let gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        defer { _ = gw.stop() }
        let http = try gw.port("http")
        #expect(TestTools.waitUntil(20) { (inverter.latest(0x351)?["charge_current"] as? Double ?? 0) > 0 })
        let before = inverter.frames.count
        Thread.sleep(forTimeInterval: 2)
        #expect(inverter.frames.count > before + 10, "frames keep coming through the garbage")
        inverter.process.terminate()
        // Unplug: the adapter's device goes away; the rest of the site keeps running.
        socat.terminate()
        socat.waitUntilExit()
        Thread.sleep(forTimeInterval: 2)
        #expect(try HTTPAPITests.curl(http, "GET", "/healthz").json?["packs_online"] as? Double == 2)
        // Replug: frames flow again.
        socat = try linkedTerminals(dir)
        defer { socat.terminate() }
        inverter = try peer(dir, seconds: 15)
        defer { inverter.process.terminate() }
        #expect(TestTools.waitUntil(10) { (inverter.latest(0x351)?["charge_current"] as? Double ?? 0) > 0 })
        // The first set after the reopen carries the current command, not a spurious failsafe.
        let first351 = inverter.frames.first { $0["id"] as? Int == 0x351 }?["decoded"] as? [String: Any]
        let first359 = inverter.frames.first { $0["id"] as? Int == 0x359 }?["decoded"] as? [String: Any]
        #expect((first351?["charge_current"] as? Double ?? 0) > 0, "\(String(describing: first351))")
        #expect(first359?["protection"] as? Int == 0, "\(String(describing: first359))")
        let out = gw.stop()
        let log = out.stderr + out.stdout
        #expect(log.contains("reopening") || log.contains("retrying every 2 s"), "\(log.suffix(800))")
        #expect(log.contains("link open again"), "\(log.suffix(800))")
    }

    @Test func noSocketCANIsOneClearErrorAndTheSiteRuns() throws {
        let dir = try TestTools.tempDir("can-nodev")
        try """
            site: can-nodev
            buses: [{id: lab, type: sim}]
            packs: [{id: p1, driver: basen, bus: lab, address: 1}]
            banks: [{id: main, packs: [p1], limits: {charge_voltage: 55.2}}]
            sinks:
              - {type: can, bank: main, interface: nosuchcan0, discharge_voltage: 48}
              - {type: http, listen: "127.0.0.1:0"}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        let http = try gw.port("http")
        #expect(TestTools.waitUntil(20) { (try? HTTPAPITests.curl(http, "GET", "/healthz"))?.json?["packs_online"] as? Double == 1 })
        Thread.sleep(forTimeInterval: 5)
        let out = gw.stop()
        let errors = (out.stderr + out.stdout).split(separator: "\n").filter { $0.contains("nosuchcan0") && $0.contains("error") }
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.contains("no such CAN interface") == true || errors.first?.contains("no SocketCAN") == true, "\(errors)")
    }
}
