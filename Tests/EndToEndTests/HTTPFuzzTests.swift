import BMSGateTestSupport
import Foundation
import Testing

/// The HTTP request path fuzzed against a running gateway (its own process: the server's
/// tasks never share a thread pool with the test runner): mutated requests over fresh
/// connections, then a plain request must still be answered.
@Suite(.serialized) struct HTTPFuzzTests {
    @Test func httpRequestsNeverBreakTheServer() throws {
        let dir = try TestTools.tempDir("http-fuzz")
        try """
            site: fuzz
            buses: [{id: lab, type: sim}]
            packs: [{id: p1, driver: basen, bus: lab, address: 1}]
            sinks: [{type: http, listen: "127.0.0.1:0", max_body: 1KB, header_timeout: 300ms, token_env: FUZZ_TOKEN}]
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"], environment: ["FUZZ_TOKEN": "t0ken"])
        defer { _ = gw.stop() }
        let port = try gw.port("http")
        #expect(TestTools.waitUntil(20) { (try? HTTPAPITests.curl(port, "GET", "/healthz"))?.status == 200 })
        let seeds = [
            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
            "POST /api/packs/p1/command HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"op\":\"info\"}",
            "POST /api/packs/p1/command HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n",
            "GET /api/packs/%70%31?x=%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "HEAD /metrics HTTP/1.0\r\n\r\n",
        ].map { Array($0.utf8) }
        var answered = 0
        FuzzBudget.run("http requests", minimumRounds: 100) { rng, round in
            var request = seeds[round % seeds.count]
            for _ in 0..<(round % 4) { request = rng.mutation(of: request) }
            if round % 7 == 0 { request += rng.bytes(maxLength: 64) }
            if let reply = Self.exchange(port: port, request), reply.hasPrefix("HTTP/1.") { answered += 1 }
        }
        #expect(answered > 0)
        let reply = Self.exchange(port: port, Array("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)) ?? ""
        #expect(reply.hasPrefix("HTTP/1.1 200"), "\(reply.prefix(80))")
        let out = gw.stop()
        #expect(out.status == 0, "the gateway must stop cleanly after the fuzz: \(out.stderr.suffix(400))")
    }

    /// Sends `request` on a fresh connection, half-closes, and reads for up to 0.5 s.
    static func exchange(port: Int, _ request: [UInt8]) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { return nil }
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        shutdown(fd, Int32(SHUT_WR))
        var out: [UInt8] = []
        let deadline = DispatchTime.now().uptimeNanoseconds + 500_000_000
        while DispatchTime.now().uptimeNanoseconds < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) > 0 else { if !out.isEmpty { break } else { continue } }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
