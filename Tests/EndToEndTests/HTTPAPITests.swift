import Foundation
import Testing

/// The HTTP API as clients use it (curl): gateway routes, errors as JSON, the bearer token,
/// body limits, /metrics through prometheus_client, the OpenAPI document, and the
/// Prometheus push to a Pushgateway stand-in.
@Suite(.serialized) struct HTTPAPITests {
    struct Reply {
        var status: Int
        var body: String
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] }
    }

    static func curl(_ port: Int, _ method: String, _ path: String, body: String? = nil, token: String? = nil) throws -> Reply {
        var args = ["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, "http://127.0.0.1:\(port)\(path)"]
        if let body { args += ["-H", "Content-Type: application/json", "--data-binary", body] }
        if let token { args += ["-H", "Authorization: Bearer \(token)"] }
        let r = try TestTools.run("/usr/bin/curl", args, timeout: 30)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return Reply(status: Int(lines.last ?? "") ?? 0, body: lines.dropLast().joined(separator: "\n"))
    }

    func start(_ name: String, sinks: [String], environment: [String: String] = ["TEST_API_TOKEN": "t0ken"], allowWrites: Bool = false,
               token: Bool = true) throws -> (Child, Int, String) {
        let dir = try TestTools.tempDir(name)
        let config = dir + "/site.yaml"
        try """
            site: web
            buses: [{id: rs, type: sim, emulator: {units: 1}}]
            packs: [{id: r1, driver: rec-bms, bus: rs, address: 1, allow_writes: \(allowWrites), options: {throttle: 5}}]
            banks: [{id: b1, packs: [r1], limits: {charge_current: 50, discharge_current: 60}}]
            sinks:
            \((["{type: http, listen: \"127.0.0.1:0\"\(token ? ", token_env: TEST_API_TOKEN" : ""), max_body: 1KB}"] + sinks).map { "  - " + $0 }.joined(separator: "\n"))
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let gw = try Child(TestTools.bmsgate, ["run", "--config", config], environment: environment)
        let port: Int
        do { port = try gw.port("http") } catch {
            _ = gw.stop()
            throw error
        }
        let up = TestTools.waitUntil(20) { (try? Self.curl(port, "GET", "/healthz"))?.json?["packs_online"] as? Double == 1 }
        #expect(up, "the API never reported the pack online")
        return (gw, port, dir)
    }

    @Test func gatewayRoutesAndErrors() throws {
        let (gw, port, _) = try start("http-routes", sinks: [], environment: ["TEST_API_TOKEN": "t0ken"], allowWrites: false)
        defer { _ = gw.stop() }
        let health = try Self.curl(port, "GET", "/healthz")
        #expect(health.status == 200 && health.json?["ok"] as? Bool == true && health.json?["site"] as? String == "web")
        let site = try Self.curl(port, "GET", "/api/site")
        #expect(site.status == 200)
        #expect((site.json?["packs"] as? [[String: Any]])?.first?["driver"] as? String == "rec-bms")
        let bank = (site.json?["banks"] as? [[String: Any]])?.first
        #expect((bank?["limits"] as? [String: Any])?["discharge_current"] as? Double == 60)
        let pack = try Self.curl(port, "GET", "/api/packs/r1")
        #expect(pack.status == 200 && pack.json?["soc"] as? Double == 72)
        let missing = try Self.curl(port, "GET", "/api/packs/nope")
        #expect(missing.status == 404 && missing.json?["ok"] as? Bool == false)
        #expect((missing.json?["error"] as? String)?.contains("no pack 'nope'") == true)
        // Commands: no token → 401; wrong token → 401; reads pass; writes hit allow_writes (403).
        let get = #"{"op":"get","instruction":"BVOL"}"#
        #expect(try Self.curl(port, "POST", "/api/packs/r1/command", body: get).status == 401)
        #expect(try Self.curl(port, "POST", "/api/packs/r1/command", body: get, token: "wrong").status == 401)
        let ok = try Self.curl(port, "POST", "/api/packs/r1/command", body: get, token: "t0ken")
        #expect(ok.status == 200 && ok.json?["value"] as? Double == 3.58)
        let write = try Self.curl(port, "POST", "/api/packs/r1/command", body: #"{"op":"set","instruction":"BVOL","value":3.5,"confirm":true}"#, token: "t0ken")
        #expect(write.status == 403 && (write.json?["error"] as? String)?.contains("allow_writes") == true)
        let notJSON = try Self.curl(port, "POST", "/api/packs/r1/command", body: "nonsense", token: "t0ken")
        #expect(notJSON.status == 400 && notJSON.json?["ok"] as? Bool == false)
        let big = try Self.curl(port, "POST", "/api/packs/r1/command", body: "{\"pad\":\"" + String(repeating: "x", count: 4000) + "\"}", token: "t0ken")
        #expect(big.status == 413)
        let doc = try Self.curl(port, "GET", "/openapi.json")
        let paths = doc.json?["paths"] as? [String: Any]
        #expect(doc.json?["openapi"] as? String == "3.0.3")
        #expect(Set(paths.map { Array($0.keys) } ?? []).isSuperset(of: ["/healthz", "/api/site", "/api/packs/{id}", "/metrics", "/api/packs/{id}/command"]))
    }

    /// HTTP manners (hardening issue): HEAD on GET routes, 405 with Allow for a wrong method
    /// on a known path, 404 only for unknown paths, percent-escapes decoded in pack ids.
    @Test func headWrongMethodsAndEscapes() throws {
        let (gw, port, _) = try start("http-manners", sinks: [])
        defer { _ = gw.stop() }
        let head = try TestTools.run("/usr/bin/curl", ["-s", "-I", "http://127.0.0.1:\(port)/api/packs/r1"])
        let lines = head.stdout.split(separator: "\r\n").map(String.init)
        #expect(lines.first == "HTTP/1.1 200 OK", "\(head.stdout)")
        let length = lines.first { $0.lowercased().hasPrefix("content-length:") }.flatMap { Int($0.split(separator: " ").last ?? "") }
        let get = try Self.curl(port, "GET", "/api/packs/r1")
        #expect(length == get.body.utf8.count, "HEAD says \(length ?? -1) bytes, GET sent \(get.body.utf8.count)")
        let wrong = try TestTools.run("/usr/bin/curl", ["-s", "-i", "-X", "DELETE", "http://127.0.0.1:\(port)/healthz"])
        #expect(wrong.stdout.hasPrefix("HTTP/1.1 405"), "\(wrong.stdout)")
        #expect(wrong.stdout.contains("Allow: GET, HEAD"))
        let post = try Self.curl(port, "POST", "/api/site", body: "{}")
        #expect(post.status == 405 && post.json?["ok"] as? Bool == false)
        #expect(try Self.curl(port, "GET", "/api/packs/r1/command").status == 405)
        #expect(try Self.curl(port, "GET", "/no/such/route").status == 404)
        let escaped = try Self.curl(port, "GET", "/api/packs/r%31")
        #expect(escaped.status == 200 && escaped.json?["pack"] as? String == "r1")
        // Chunked bodies: a bad chunk size is a 400, a good chunked body is read, an
        // oversized one is a 413.
        func chunked(_ chunks: String) throws -> String {
            let request = "POST /api/packs/r1/command HTTP/1.1\\r\\nHost: x\\r\\nAuthorization: Bearer t0ken\\r\\n"
                + "Transfer-Encoding: chunked\\r\\nContent-Type: application/json\\r\\n\\r\\n" + chunks
            let script = "import socket,sys\ns=socket.create_connection(('127.0.0.1',\(port)));s.settimeout(5)\n"
                + "s.sendall(b'\(request)')\nprint(s.recv(4096).decode(errors='replace'))"
            return try TestTools.run(TestTools.python, ["-c", script]).stdout
        }
        for bad in ["ZZ\\r\\nabc\\r\\n0\\r\\n\\r\\n", "-5\\r\\nabc\\r\\n0\\r\\n\\r\\n", "3;\\x00\\r\\n"] {
            let answer = try chunked(bad)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(bad): \(answer)")
        }
        let good = try chunked("10\\r\\n{\"op\":\"get\",\"ins\\r\\n11\\r\\ntruction\":\"BVOL\"}\\r\\n0\\r\\n\\r\\n")
        #expect(good.hasPrefix("HTTP/1.1 200") && good.contains("3.58"), "\(good)")
        let huge = try chunked("ffffffff\\r\\n" + String(repeating: "x", count: 2000))
        #expect(huge.hasPrefix("HTTP/1.1 413"), "\(huge)")
    }

    @Test func metricsParseWithSitePackAndBankLabels() throws {
        let (gw, port, _) = try start("http-metrics", sinks: [])
        defer { _ = gw.stop() }
        let text = try Self.curl(port, "GET", "/metrics").body
        let input = NSTemporaryDirectory() + "bmsgate-metrics-\(UUID().uuidString.prefix(8))"
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        let r = try TestTools.run("/bin/sh", ["-c", "\"$0\" \"$1\" metrics < \"$2\"", TestTools.python, TestTools.pythonTools + "/parse_formats.py", input])
        #expect(r.status == 0, "\(r.stderr)")
        let families = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        func samples(_ name: String) -> [[String: Any]] { (families.first { $0["name"] as? String == name }?["samples"] as? [[String: Any]]) ?? [] }
        let cells = samples("bmsgate_cell_voltage_volts")
        #expect(cells.count == 14)
        #expect(cells.allSatisfy { ($0["labels"] as? [String: String])?["site"] == "web" && ($0["labels"] as? [String: String])?["pack"] == "r1" })
        #expect(samples("bmsgate_bank_discharge_current_limit_amperes").first?["value"] as? Double == 60)
        #expect(samples("bmsgate_poll_duration_seconds").first != nil)
        #expect(samples("bmsgate_polls").contains { $0["name"] as? String == "bmsgate_polls_total" })
        #expect(samples("bmsgate_sink_dropped_snapshots").count == 1)
    }

    @Test func writesAreRefusedWithoutAConfiguredToken() throws {
        let (gw, port, _) = try start("http-notoken", sinks: [], token: false)
        defer { _ = gw.stop() }
        let r = try Self.curl(port, "POST", "/api/packs/r1/command", body: #"{"op":"list"}"#, token: "anything")
        #expect(r.status == 403 && (r.json?["error"] as? String)?.contains("token_env or token_file") == true)
    }

    @Test func pushesMetricsToAPushgateway() throws {
        let pushPort = TestTools.freePort()
        let out = try TestTools.tempDir("push") + "/pushes.jsonl"
        let receiver = Process()
        receiver.executableURL = URL(fileURLWithPath: TestTools.python)
        receiver.arguments = [TestTools.pythonTools + "/push_receiver.py", "\(pushPort)", out]
        try TestTools.spawn(receiver)
        defer { receiver.terminate() }
        #expect(TestTools.waitUntil(10) { MosquittoBroker.accepts(port: pushPort) })
        let (gw, _, _) = try start("http-push", sinks: ["{type: prometheus, url: \"http://127.0.0.1:\(pushPort)\", interval: 1s, job: site1}"])
        let pushed = TestTools.waitUntil(15) { TestTools.jsonLines(out).count >= 2 }
        _ = gw.stop()
        #expect(pushed)
        let first = try #require(TestTools.jsonLines(out).first)
        #expect(first["path"] as? String == "/metrics/job/site1")
        #expect(first["ok"] as? Bool == true, "\(first)")
        #expect(((first["names"] as? [String]) ?? []).contains("bmsgate_voltage_volts"))
    }

    @Test func badHTTPSettingsAreReported() throws {
        // A port taken by this test's own listener (port 0: the kernel's pick, read back).
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = bind(listener, $0, len)
                _ = listen(listener, 1)
                _ = getsockname(listener, $0, &len)
            }
        }
        let busy = Int(UInt16(bigEndian: addr.sin_port))
        defer { close(listener) }
        let dir = try TestTools.tempDir("http-bad")
        try """
            buses: [{id: rs, type: sim}]
            packs: [{id: p, driver: basen, bus: rs, address: 1}]
            sinks: [{type: http, listen: "127.0.0.1:\(busy)"}]
            """.write(toFile: dir + "/busy.yaml", atomically: true, encoding: .utf8)
        let r = try TestTools.run(TestTools.bmsgate, ["run", "--config", dir + "/busy.yaml"], timeout: 30)
        #expect(r.status != 0)
        #expect(r.stderr.contains("http sink: cannot listen on 127.0.0.1:\(busy)"), "\(r.stderr)")
        try """
            buses: [{id: rs, type: sim}]
            packs: [{id: p, driver: basen, bus: rs, address: 1}]
            sinks: [{type: http, token: abc}, {type: prometheus, url: "ftp://x"}]
            """.write(toFile: dir + "/bad.yaml", atomically: true, encoding: .utf8)
        let c = try TestTools.run(TestTools.bmsgate, ["check", dir + "/bad.yaml"])
        #expect(c.stderr.contains("the API token is never written in the site file"))
        #expect(c.stderr.contains("'url' of the prometheus sink must be an http(s) URL"))
        #expect(!c.stderr.contains("abc"))
    }
}
