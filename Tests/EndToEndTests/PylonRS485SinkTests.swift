import Foundation
import Testing

/// The pylon-rs485 sink against python-pylontech (the PyPI client RS485 inverters' tools are
/// built on) over socat-linked ptys: the values it decodes are the bank's, every error code
/// is answered, and the failsafe reaches 0x92.
@Suite(.serialized) struct PylonRS485SinkTests {
    func client(_ path: String, _ extra: [String] = []) throws -> [String: Any] {
        let r = try TestTools.run(TestTools.python, [TestTools.pythonTools + "/pylon_client.py", path] + extra, timeout: 60)
        #expect(r.status == 0, "\(r.stderr.suffix(1500))")
        return (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]) ?? [:]
    }

    @Test func pythonPylontechReadsTheBank() throws {
        let dir = try TestTools.tempDir("pylon-sink")
        let socat = try CANSinkTests().linkedTerminals(dir)
        defer { socat.terminate() }
        try """
            site: pylon-test
            buses: [{id: lab, type: sim}]
            packs:
              - {id: p1, driver: basen, bus: lab, address: 1, poll_interval: 300ms}
              - {id: p2, driver: basen, bus: lab, address: 2, poll_interval: 300ms}
            banks:
              - {id: main, packs: [p1, p2], stale_after: 3s, limits: {charge_current: 100, discharge_current: 150, charge_voltage: 55.2}}
            sinks:
              - {type: pylon-rs485, bank: main, device: \(dir)/gateway, modules: packs, discharge_voltage: 46.4}
              - {type: http, listen: "127.0.0.1:0"}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        defer { _ = gw.stop() }
        let http = try gw.port("http")
        #expect(TestTools.waitUntil(20) { (try? HTTPAPITests.curl(http, "GET", "/healthz"))?.json?["packs_online"] as? Double == 2 })
        Thread.sleep(forTimeInterval: 1)
        let answers = try client(dir + "/inverter")
        let site = try #require(try HTTPAPITests.curl(http, "GET", "/api/site").json)
        let packs = try #require(site["packs"] as? [[String: Any]])
        let bank = try #require((site["banks"] as? [[String: Any]])?.first)
        func reading(_ id: String) -> [String: Any] { packs.first { $0["pack"] as? String == id } ?? [:] }

        #expect((answers["version"] as? [String: Any])?["cid2"] as? String == "00")
        #expect((answers["manufacturer"] as? [String: Any])?["DeviceName"] as? String == "bmsgate   ")
        let values = try #require(answers["values"] as? [String: Any])
        #expect(values["NumberOfModules"] as? Int == 2)
        let modules = try #require(values["Module"] as? [[String: Any]])
        for (i, id) in ["p1", "p2"].enumerated() {
            let r = reading(id), m = modules[i]
            let cells = (r["cells"] as? [Double]) ?? []
            #expect((m["CellVoltages"] as? [Double])?.count == cells.count)
            for (a, b) in zip((m["CellVoltages"] as? [Double]) ?? [], cells) { #expect(abs(a - b) < 0.0015, "\(id) cell \(a) vs \(b)") }
            #expect(abs((m["Voltage"] as? Double ?? 0) - (r["voltage"] as? Double ?? -1)) < 0.06, "\(id) voltage")
            #expect(abs((m["Current"] as? Double ?? 0) - (r["current"] as? Double ?? -1)) < 0.6, "\(id) current")
            #expect(abs((m["TotalCapacity"] as? Double ?? 0) - (r["full_capacity"] as? Double ?? -1)) < 0.01, "\(id) capacity")
        }
        let single = try #require(answers["single"] as? [String: Any])
        #expect(single["NumberOfModule"] as? Int == 2)
        #expect((single["CellVoltages"] as? [Double])?.count == (reading("p1")["cells"] as? [Double])?.count)
        let management = try #require(answers["management"] as? [String: Any])
        let limits = try #require(bank["limits"] as? [String: Any])
        #expect(management["ChargeVoltageLimit"] as? Double == 55.2)
        #expect(management["DischargeVoltageLimit"] as? Double == 46.4)
        // Two modules: each carries half the bank's limits.
        #expect(abs((management["ChargeCurrentLimit"] as? Double ?? 0) - (limits["charge_current"] as? Double ?? 0) / 2) < 0.11)
        #expect(abs((management["DischargeCurrentLimit"] as? Double ?? 0) - (limits["discharge_current"] as? Double ?? 0) / 2) < 0.11)
        #expect((management["status"] as? [String: Any])?["ChargeEnable"] as? Bool == true)
        #expect((answers["serial"] as? [String: Any])?["CommandValue"] as? Int == 2)
        #expect((answers["parameters"] as? [String: Any])?["ModuleHighVoltageLimit"] as? Double == 55.2)

        // Every error code the protocol names for a request is answered.
        let errors = try client(dir + "/inverter", ["--errors"])
        func code(_ key: String) -> String? {
            guard let a = errors[key] as? String, a.hasPrefix("~"), a.count >= 9 else { return nil }
            return String(Array(a)[7..<9])
        }
        #expect(code("good") == "00")
        #expect(code("checksum") == "02")
        #expect(code("length_checksum") == "03")
        #expect(code("unknown_command") == "04")
        #expect(code("address") == "90")
        #expect(code("format") == "05")
        #expect(code("version") == "01")
        #expect(code("invalid_data") == "06")
    }

    /// The RS485 adapter is unplugged (the pty pair goes away) and plugged back: the sink
    /// says so once, keeps retrying, and answers again; the rest of the site runs on.
    @Test func anUnpluggedLineIsSurvived() throws {
        let dir = try TestTools.tempDir("pylon-unplug")
        var socat = try CANSinkTests().linkedTerminals(dir)
        try """
            site: pylon-unplug
            buses: [{id: lab, type: sim}]
            packs: [{id: p1, driver: basen, bus: lab, address: 1, poll_interval: 300ms}]
            banks: [{id: main, packs: [p1], limits: {charge_current: 80, discharge_current: 120, charge_voltage: 55.2}}]
            sinks:
              - {type: pylon-rs485, bank: main, device: \(dir)/gateway}
              - {type: http, listen: "127.0.0.1:0"}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        let http = try gw.port("http")
        #expect(TestTools.waitUntil(20) { (try? HTTPAPITests.curl(http, "GET", "/healthz"))?.json?["packs_online"] as? Double == 1 })
        #expect(((try client(dir + "/inverter", ["--errors"]))["good"] as? String)?.hasPrefix("~20024600") == true)
        socat.terminate()
        socat.waitUntilExit()
        Thread.sleep(forTimeInterval: 2.5)
        #expect(try HTTPAPITests.curl(http, "GET", "/healthz").json?["packs_online"] as? Double == 1)
        socat = try CANSinkTests().linkedTerminals(dir)
        defer { socat.terminate() }
        #expect(TestTools.waitUntil(10) {
            ((try? self.client(dir + "/inverter", ["--errors"]))?["good"] as? String)?.hasPrefix("~20024600") == true
        })
        let out = gw.stop()
        let log = out.stderr + out.stdout
        #expect(log.contains("open again"), "\(log.suffix(600))")
    }

    /// An RS485-to-Ethernet bridge connects to `listen:`; the inverter's requests come
    /// through it and are answered; a second bridge connection after the first closed works.
    @Test func aBridgeOnTCPIsAnswered() throws {
        let dir = try TestTools.tempDir("pylon-tcp")
        try """
            site: pylon-tcp
            buses: [{id: lab, type: sim}]
            packs: [{id: p1, driver: basen, bus: lab, address: 1, poll_interval: 300ms}]
            banks: [{id: main, packs: [p1], limits: {charge_current: 80, discharge_current: 120, charge_voltage: 55.2}}]
            sinks:
              - {type: pylon-rs485, bank: main, listen: "127.0.0.1:0"}
              - {type: http, listen: "127.0.0.1:0"}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        defer { _ = gw.stop() }
        let port = try gw.port("pylon-rs485")
        let http = try gw.port("http")
        #expect(TestTools.waitUntil(20) { (try? HTTPAPITests.curl(http, "GET", "/healthz"))?.json?["packs_online"] as? Double == 1 })
        Thread.sleep(forTimeInterval: 0.8)
        let script = """
            import socket, sys
            for attempt in range(2):
                s = socket.create_connection(("127.0.0.1", \(port)), timeout=5)
                s.sendall(b"~20024692E00202FD2E\\r")
                data = b""
                while not data.endswith(b"\\r"):
                    chunk = s.recv(256)
                    if not chunk: break
                    data += chunk
                s.close()
                print(data.decode())
            """
        let r = try TestTools.run(TestTools.python, ["-c", script], timeout: 30)
        let answers = r.stdout.split(whereSeparator: \.isNewline).map(String.init)  // "\r\n" is one Character
        #expect(answers.count == 2, "\(r.stdout) \(r.stderr)")
        for a in answers {
            #expect(a.hasPrefix("~20024600"), "\(a)")
            // 0x92: address 02, CVL 55.2 V = D7A0, DVL, CCL 80.0 A = 0320, DCL 120.0 A = 04B0, status C0
            #expect(a.contains("02D7A0") && a.contains("032004B0C0"), "\(a)")
        }
    }

    /// A client that connects and idles, and one that sends and never reads, hold nobody up
    /// (before: 0 of 12 answered, the sink thread blocked for ever); four idle connections
    /// take the slots, a newcomer is refused while they are young and displaces the idlest
    /// after `PylonTCPClients.displaceAfter`; /api/sinks lists the clients and /metrics counts.
    @Test func aClientThatHoldsItsConnectionHoldsNobodyUp() throws {
        let dir = try TestTools.tempDir("pylon-tcp-hog")
        try """
            site: pylon-tcp-hog
            buses: [{id: lab, type: sim}]
            packs: [{id: p1, driver: basen, bus: lab, address: 1, poll_interval: 300ms}]
            banks: [{id: main, packs: [p1], limits: {charge_current: 80, discharge_current: 120, charge_voltage: 55.2}}]
            sinks:
              - {type: pylon-rs485, bank: main, listen: "127.0.0.1:0"}
              - {type: http, listen: "127.0.0.1:0"}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        let port = try gw.port("pylon-rs485")
        let http = try gw.port("http")
        var stopped = false
        defer { if !stopped { _ = gw.stop() } }
        #expect(TestTools.waitUntil(20) { (try? HTTPAPITests.curl(http, "GET", "/healthz"))?.json?["packs_online"] as? Double == 1 })
        func clients(_ step: String, _ extra: [String] = []) throws -> [String: Any] {
            let r = try TestTools.run(TestTools.python, [TestTools.pythonTools + "/pylon_tcp_clients.py", "\(port)", step] + extra, timeout: 90)
            #expect(r.status == 0, "\(r.stderr.suffix(800))")
            return (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]) ?? [:]
        }
        let hog = try clients("hog")
        print("pylon tcp: \(hog["answered"] ?? "?") of 12 fresh clients answered beside an idle one and one that never reads")
        #expect(hog["answered"] as? Int == 12, "\(hog)")

        let sink = { () -> [String: Any]? in
            ((try? HTTPAPITests.curl(http, "GET", "/healthz"))?.json?["sinks"] as? [[String: Any]])?.first { ($0["name"] as? String)?.hasPrefix("pylon-rs485") == true }
        }
        let afterHog = try #require(sink())
        #expect((afterHog["pylon_write_timeouts_total"] as? Double ?? 0) >= 1, "the client that never reads was closed: \(afterHog)")
        #expect((afterHog["connections_accepted_total"] as? Double ?? 0) >= 14)

        // Four idle connections take every slot; a fifth is refused while they are young and
        // served once the idlest has been idle for the displacement time.
        let wait = 31.0
        let result = try clients("fill", ["\(wait)"])
        #expect(result["refused_while_young"] as? Bool == true, "\(result)")
        #expect(result["served_after_wait"] as? Bool == true, "\(result)")
        let filled = try #require(sink())
        #expect((filled["connections_refused_total"] as? Double ?? 0) >= 1)
        #expect((filled["connections_evicted_total"] as? Double ?? 0) >= 1)
        let listed = try HTTPAPITests.curl(http, "GET", "/api/sinks").body
        #expect(listed.contains("\"max_clients\"") && listed.contains("\"clients\""), "\(listed)")
        let metrics = try HTTPAPITests.curl(http, "GET", "/metrics").body
        #expect(metrics.contains("bmsgate_sink_connections_open{") && metrics.contains("bmsgate_sink_pylon_write_timeouts_total{"))

        // Peer events are counted, not logged one by one.
        let out = gw.stop()
        stopped = true
        let lines = (out.stderr + out.stdout).split(separator: "\n").filter { $0.contains("disconnected") }
        #expect(lines.count <= 3, "\(lines.count) disconnect lines")
    }

    /// An inverter on the serial line that asks and stops reading: the sink's answer cannot
    /// be written within its bound, so it is dropped (flushed, counted) and the line is
    /// reported stalled; the sink keeps serving and the line recovers when read again.
    @Test func aSerialLineThatStopsDrainingIsReportedAndRecovers() throws {
        let dir = try TestTools.tempDir("pylon-stall")
        let socat = try CANSinkTests().linkedTerminals(dir)
        defer { socat.terminate() }
        try """
            site: pylon-stall
            buses: [{id: lab, type: sim}]
            packs: [{id: p1, driver: basen, bus: lab, address: 1, poll_interval: 300ms}]
            banks: [{id: main, packs: [p1], limits: {charge_current: 80, discharge_current: 120, charge_voltage: 55.2}}]
            sinks:
              - {type: pylon-rs485, bank: main, device: \(dir)/gateway}
              - {type: http, listen: "127.0.0.1:0"}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        defer { _ = gw.stop() }
        let http = try gw.port("http")
        #expect(TestTools.waitUntil(20) { (try? HTTPAPITests.curl(http, "GET", "/healthz"))?.json?["packs_online"] as? Double == 1 })
        let sink = { () -> [String: Any]? in
            ((try? HTTPAPITests.curl(http, "GET", "/healthz"))?.json?["sinks"] as? [[String: Any]])?.first { ($0["name"] as? String)?.hasPrefix("pylon-rs485") == true }
        }
        // 3000 questions (60 kB) and nobody reads the 180 kB of answers for 8 s (the ptys and
        // socat hold 20-60 kB, depending on how the kernel's buffers were filled).
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestTools.python)
        p.arguments = [TestTools.pythonTools + "/pylon_stall.py", dir + "/inverter", "3000", "8"]
        let out = Pipe()
        p.standardOutput = out
        try TestTools.spawn(p)
        #expect(TestTools.waitUntil(8) { (sink()?["status"] as? [String: Any])?["stalled"] as? Bool == true })
        let stalled = try #require(sink())
        #expect((stalled["pylon_dropped_answers_total"] as? Double ?? 0) >= 1, "\(stalled)")
        #expect(stalled["pylon_line_stalled"] as? Double == 1)
        #expect((try HTTPAPITests.curl(http, "GET", "/healthz").json?["stalled_links"] as? [String])?.count == 1)
        p.waitUntilExit()
        let result = (try? JSONSerialization.jsonObject(with: out.fileHandleForReading.readDataToEndOfFile()) as? [String: Any]) ?? [:]
        print("pylon stall: \(result["drained_answers"] ?? "?") of \(result["asked"] ?? "?") answers reached the stalled inverter, \(Int(sink()?["pylon_dropped_answers_total"] as? Double ?? 0)) dropped")
        #expect(result["answered_after"] as? Bool == true, "\(result)")
        #expect((result["drained_answers"] as? Int ?? 3000) < (result["asked"] as? Int ?? 0))
        // It drains again once it took every answer for PylonRS485Sink.stallRecovery (10 s).
        #expect(TestTools.waitUntil(15) {
            _ = try? self.client(dir + "/inverter", ["--errors"])
            return (sink()?["status"] as? [String: Any])?["stalled"] as? Bool == false
        })
    }
}
