import Foundation
import Testing

/// Remote limits as a home energy manager sets them: over HTTP with the token (curl) and
/// over MQTT (mosquitto_pub to a real broker). They only lower, expire by themselves, are
/// named as a reason, reach every link (the Modbus simple map here), and are logged.
@Suite(.serialized) struct RemoteLimitTests {
    @Test func aRemoteLimitOnlyLowersExpiresAndIsLogged() throws {
        let dir = try TestTools.tempDir("remote-limit")
        let broker = try MosquittoBroker("remote-limit")
        defer { broker.stop() }
        try """
            site: remote
            buses: [{id: lab, type: sim}]
            packs: [{id: p1, driver: basen, bus: lab, address: 1, poll_interval: 300ms}]
            banks:
              - id: main
                packs: [p1]
                limits: {charge_current: 100, discharge_current: 150, charge_voltage: 55.2}
                charge: {rise_hold: 0s, current_ramp: 10}
            sinks:
              - {type: http, listen: "127.0.0.1:0", token_env: TEST_API_TOKEN}
              - {type: modbus-tcp, listen: "127.0.0.1:0", map: simple}
              - {type: mqtt, host: 127.0.0.1, port: \(broker.port), discovery: false}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let gw = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"], environment: ["TEST_API_TOKEN": "s3cret"])
        let http = try gw.port("http")
        let modbus = try gw.port("modbus-tcp")
        var stopped = false
        defer { if !stopped { _ = gw.stop() } }
        func limits() -> [String: Any]? {
            ((try? HTTPAPITests.curl(http, "GET", "/api/site"))?.json?["banks"] as? [[String: Any]])?.first?["limits"] as? [String: Any]
        }
        #expect(TestTools.waitUntil(20) { limits()?["charge_current"] as? Double == 100 })

        // Without the token: refused. A bad body: 400 with why.
        #expect(try HTTPAPITests.curl(http, "POST", "/api/banks/main/limits", body: #"{"charge_current": 20, "ttl": 60}"#).status == 401)
        let bad = try HTTPAPITests.curl(http, "POST", "/api/banks/main/limits", body: #"{"charge_current": 20}"#, token: "s3cret")
        #expect(bad.status == 400 && (bad.json?["error"] as? String)?.contains("ttl") == true, "\(bad.body)")
        #expect(try HTTPAPITests.curl(http, "POST", "/api/banks/main/limits", body: #"{"charge_current": -1, "ttl": 60}"#, token: "s3cret").status == 400)
        #expect(try HTTPAPITests.curl(http, "POST", "/api/banks/main/limits", body: #"{"ttl": 60}"#, token: "s3cret").status == 400)
        #expect(try HTTPAPITests.curl(http, "POST", "/api/banks/main/limits", body: #"{"charge_current": 1, "ttl": "2d"}"#, token: "s3cret").status == 400)
        #expect(try HTTPAPITests.curl(http, "POST", "/api/banks/nope/limits", body: #"{"charge_current": 1, "ttl": 9}"#, token: "s3cret").status == 404)

        // 20 A charge for 4 s: the bank JSON, the reason and the Modbus register say it at once.
        let set = try HTTPAPITests.curl(http, "POST", "/api/banks/main/limits", body: #"{"charge_current": 20, "discharge_current": 500, "ttl": 4}"#, token: "s3cret")
        #expect(set.status == 200 && set.json?["active"] as? Bool == true, "\(set.body)")
        #expect(TestTools.waitUntil(3) { limits()?["charge_current"] as? Double == 20 })
        let l = try #require(limits())
        #expect(l["discharge_current"] as? Double == 150, "a remote limit never raises")
        #expect((l["reasons"] as? [String])?.contains { $0.hasPrefix("charge: remote (at most 20.0 A (http") } == true, "\(l)")
        #expect(TestTools.mbpoll(port: modbus, address: 26, count: 1) == [200], "charge_current_limit, 0.1 A")
        #expect(try HTTPAPITests.curl(http, "GET", "/api/banks/main/limits").json?["charge_current"] as? Double == 20)
        // It expires by itself.
        #expect(TestTools.waitUntil(10) { limits()?["charge_current"] as? Double == 100 })
        #expect(try HTTPAPITests.curl(http, "GET", "/api/banks/main/limits").json?["active"] as? Bool == false)

        // Over MQTT: the same JSON on <prefix>/<site>/<bank>/limits/set; an empty message clears.
        func publish(_ payload: String) throws {
            let r = try TestTools.run("/usr/bin/mosquitto_pub", ["-h", "127.0.0.1", "-p", "\(broker.port)", "-t", "bmsgate/remote/main/limits/set", "-q", "1", "-m", payload])
            #expect(r.status == 0, "\(r.stderr)")
        }
        try publish(#"{"discharge_current": 30, "charge_voltage": 54.0, "ttl": "10m"}"#)
        #expect(TestTools.waitUntil(10) { limits()?["discharge_current"] as? Double == 30 })
        #expect(limits()?["charge_voltage"] as? Double == 54.0)
        try publish("")
        #expect(TestTools.waitUntil(10) { limits()?["discharge_current"] as? Double == 150 })

        let out = gw.stop()
        stopped = true
        let log = out.stderr + out.stdout
        #expect(log.contains("remote limit set over HTTP: charge <= 20 A, discharge <= 500 A"), "\(log.suffix(1500))")
        #expect(log.contains("remote limit set over MQTT") && log.contains("remote limit cleared over MQTT"), "\(log.suffix(1500))")
    }
}
