import Foundation
import Testing

/// The HTTP server under idle, slow and many connections (hardening issue, item 2): a flood
/// of idle connections on the API never takes the descriptors of the Modbus server, the file
/// sink or /healthz, and slow clients are cut off by the idle and header timeouts.
@Suite(.serialized) struct ConnectionFloodTests {
    struct Site {
        let gateway: Child
        let http: Int
        let modbus: Int
        let dir: String
    }

    /// A site with a simulated pack, file + modbus-tcp + http sinks, started under a hard
    /// open-file limit of 1024 (the common default), as the flood in the issue found it.
    func start(_ name: String, http extra: String = "") throws -> Site {
        let dir = try TestTools.tempDir(name)
        try """
            site: flood
            buses: [{id: rs, type: sim}]
            packs: [{id: p1, driver: basen, bus: rs, address: 1, poll_interval: 200ms}]
            banks: [{id: b1, packs: [p1]}]
            sinks:
              - {type: http, listen: "127.0.0.1:0"\(extra)}
              - {type: modbus-tcp, listen: "127.0.0.1:0", map: simple}
              - {type: file, path: \(dir)/readings.jsonl}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let gw = try Child("/bin/sh", ["-c", "ulimit -n 1024 && ulimit -Hn 1024 && exec \(TestTools.bmsgate) run --config \(dir)/site.yaml"],
                           environment: ["FLOOD_TOKEN": "t0ken"])
        let http = try gw.port("http")
        let modbus = try gw.port("modbus-tcp")
        #expect(TestTools.waitUntil(20) { (try? HTTPAPITests.curl(http, "GET", "/healthz"))?.json?["packs_online"] as? Double == 1 })
        return Site(gateway: gw, http: http, modbus: modbus, dir: dir)
    }

    func hold(_ port: Int, count: Int, mode: String, seconds: Double) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestTools.python)
        process.arguments = [TestTools.pythonTools + "/http_hold.py", "\(port)", "\(count)", mode, "\(seconds)"]
        let out = Pipe()
        process.standardOutput = out
        process.environment = ProcessInfo.processInfo.environment.merging(["HOLD_TOKEN": "t0ken"]) { $1 }
        try TestTools.spawn(process)
        return (process, out)
    }

    func result(_ held: (Process, Pipe)) -> [String: Any] {
        let data = held.1.fileHandleForReading.readDataToEndOfFile()
        held.0.waitUntilExit()
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    func lines(_ path: String) -> Int {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    @Test func elevenHundredIdleConnectionsStarveNothing() throws {
        let site = try start("flood-idle")
        defer { _ = site.gateway.stop() }
        let flood = try hold(site.http, count: 1100, mode: "idle", seconds: 12)
        Thread.sleep(forTimeInterval: 4)  // the flood is fully open by now
        let linesBefore = lines(site.dir + "/readings.jsonl")
        var healthy = 0, modbusOK = 0
        for _ in 0..<5 {
            if (try? HTTPAPITests.curl(site.http, "GET", "/healthz"))?.status == 200 { healthy += 1 }
            if TestTools.mbpoll(port: site.modbus, address: 0, count: 2) != nil { modbusOK += 1 }
            Thread.sleep(forTimeInterval: 0.5)
        }
        let linesDuring = lines(site.dir + "/readings.jsonl")
        let report = result(flood)
        print("idle flood: \(report.filter { $0.key != "close_after" }), healthz \(healthy)/5, modbus \(modbusOK)/5, file +\(linesDuring - linesBefore) lines")
        #expect(healthy == 5)
        #expect(modbusOK == 5)
        #expect(linesDuring > linesBefore, "the file sink stopped writing during the flood")
        #expect((report["opened"] as? Int ?? 0) + (report["failed"] as? Int ?? 0) == 1100)
        let metrics = try HTTPAPITests.curl(site.http, "GET", "/metrics").body
        let evicted = metrics.split(separator: "\n").first { $0.hasPrefix("bmsgate_sink_connections_evicted_total{") && $0.contains("http") }
        #expect(evicted.map { (Double($0.split(separator: " ").last ?? "") ?? 0) >= 800 } == true, "\(evicted ?? "no eviction counter")")
        let health = try HTTPAPITests.curl(site.http, "GET", "/healthz").json
        let sinks = health?["sinks"] as? [[String: Any]] ?? []
        #expect(sinks.count == 3)
        #expect(sinks.allSatisfy { $0["dropped_snapshots"] as? Double == 0 })
    }

    @Test func slowHeadersAndBodiesAreCutOffAndIdleConnectionsClosed() throws {
        let site = try start("flood-slow", http: ", idle_timeout: 5s, header_timeout: 2s, command_timeout: 1s, token_env: FLOOD_TOKEN")
        defer { _ = site.gateway.stop() }
        let slowHeaders = try hold(site.http, count: 50, mode: "slow-headers", seconds: 10)
        let idle = try hold(site.http, count: 20, mode: "idle", seconds: 10)
        let slowBody = try hold(site.http, count: 20, mode: "slow-body", seconds: 30)  // 1000 bytes never arrive
        let headers = result(slowHeaders), quiet = result(idle), body = result(slowBody)
        print("slow headers: \(headers)\nidle: \(quiet)\nslow body: \(body)")
        // Headers trickled a byte a second: 408 about 2 s after the first byte.
        #expect(headers["closed_by_server"] as? Int == 50)
        #expect((headers["statuses"] as? [String: Int])?["408"] == 50)
        #expect((headers["close_after"] as? [Double] ?? []).allSatisfy { $0 >= 1.5 && $0 <= 4 }, "\(headers)")
        // Connections that never send are closed at the idle timeout.
        #expect(quiet["closed_by_server"] as? Int == 20)
        #expect((quiet["close_after"] as? [Double] ?? []).allSatisfy { $0 >= 4.5 && $0 <= 7 }, "\(quiet)")
        // A body trickled a byte a second is cut off at command_timeout + 20 s.
        #expect(body["closed_by_server"] as? Int == 20)
        #expect((body["close_after"] as? [Double] ?? []).allSatisfy { $0 >= 20 && $0 <= 25 }, "\(body)")
        #expect(try HTTPAPITests.curl(site.http, "GET", "/healthz").status == 200)
    }

    @Test func aFullServerAnswers503AndAnAllowListRefuses() throws {
        let site = try start("flood-full", http: ", max_connections: 4, allow: [127.0.0.1]")
        defer { _ = site.gateway.stop() }
        // Four connections each in the middle of a request (headers sent slowly) cannot be
        // displaced: the fifth is told 503.
        let busy = try hold(site.http, count: 4, mode: "slow-headers", seconds: 3)
        Thread.sleep(forTimeInterval: 1)
        let reply = try HTTPAPITests.curl(site.http, "GET", "/healthz")
        #expect(reply.status == 503, "\(reply)")
        #expect(reply.body.contains("too many connections"))
        _ = result(busy)
        #expect(TestTools.waitUntil(10) { (try? HTTPAPITests.curl(site.http, "GET", "/healthz"))?.status == 200 })
        // From another address (127.0.0.2 is this machine too), the allow list refuses.
        let r = try TestTools.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--interface", "127.0.0.2",
                                                    "http://127.0.0.1:\(site.http)/healthz"], timeout: 10)
        #expect(r.stdout == "503", "\(r.stdout)")
    }
}
