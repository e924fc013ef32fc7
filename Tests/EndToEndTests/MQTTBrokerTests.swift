import Foundation
import Testing

/// The `mqtt` sink against a real mosquitto broker, observed by real subscribers
/// (mosquitto_sub): a simulated REC MultiBMS site, Home Assistant discovery, retain flags,
/// the last will, authentication, TLS and a broker restart.
@Suite(.serialized) struct MQTTBrokerTests {
    /// A site with a REC MultiBMS pack (2 units x 14 cells) in a bank, and `sinks`.
    func site(_ dir: String, name: String, sinks: [String]) throws -> String {
        let path = dir + "/site.yaml"
        try """
            site: \(name)
            buses: [{id: lab, type: sim, emulator: {units: 2}}]
            packs:
              - {id: r1, driver: rec-bms, bus: lab, address: 1, poll_interval: 500ms, timeout: 500ms, options: {throttle: 5}}
            banks: [{id: bank1, packs: [r1], stale_after: 5s, limits: {charge_current: 100, discharge_current: 120, charge_voltage: 98}}]
            sinks:
            \(sinks.map { "  - " + $0 }.joined(separator: "\n"))
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func gateway(_ config: String, environment: [String: String] = [:]) throws -> Child {
        try Child(TestTools.bmsgate, ["run", "--config", config, "--log-level", "debug"], environment: environment)
    }

    /// Every numeric leaf of a state JSON as the template expression that reads it.
    func numericPaths(_ state: [String: Any]) -> [String] {
        var out: [String] = []
        for (k, v) in state {
            if v is Bool { continue }
            if v is Double || v is Int {
                out.append("value_json['\(k)']")
            } else if let items = v as? [Any], k != "balancing" {
                for (i, item) in items.enumerated() where item is Double && !(item is Bool) { out.append("value_json.\(k)[\(i)]") }
            } else if let inner = v as? [String: Any] {
                for (k2, v2) in inner where (v2 is Double || v2 is Int) && !(v2 is Bool) { out.append("value_json.\(k)['\(k2)']") }
            }
        }
        return out
    }

    @Test func recMultiBMSSitePublishesStatesAndDiscovery() throws {
        let broker = try MosquittoBroker("site")
        let dir = try TestTools.tempDir("mqtt-site")
        let config = try site(dir, name: "home", sinks: [
            "{type: mqtt, host: 127.0.0.1, port: \(broker.port), interval: 1s}",
            "{type: mqtt, host: 127.0.0.1, port: \(broker.port), client_id: volatile, topic_prefix: volatile, retain: false, discovery: false, qos: 0}",
        ])
        let live = try MQTTSubscriber(port: broker.port, topics: ["bmsgate/#", "homeassistant/#", "volatile/#"])
        let gw = try gateway(config)
        defer { _ = gw.stop(SIGKILL) }
        let first = live.waitFor(20) { $0.topic == "bmsgate/home/bank1/state" }
        #expect(first != nil, "no bank state within 20 s; broker log: \(broker.log)")
        // Let the REC driver rotate through a few settings, then read what a newcomer gets.
        usleep(1_500_000)
        let retained = try MQTTSubscriber.retained(port: broker.port, topics: ["bmsgate/#", "homeassistant/#", "volatile/#"])
        func last(_ topic: String) -> ReceivedMessage? { retained.last { $0.topic == topic } }

        // State: the Reading JSON of the MultiBMS pack, retained.
        let state = try #require(last("bmsgate/home/r1/state")?.json, "no retained pack state")
        #expect(state["pack"] as? String == "r1")
        #expect(state["driver"] as? String == "rec-bms")
        #expect(state["online"] as? Bool == true)
        let cells = try #require(state["cells"] as? [Double])
        #expect(cells.count == 28)
        #expect(abs(cells.reduce(0, +) - (state["voltage"] as? Double ?? 0)) < 0.05)
        #expect(state["current"] as? Double == -12.5)
        #expect(state["soc"] as? Double == 72)
        #expect((state["extras"] as? [String: Any])?["bms_units"] as? Double == 2)
        #expect((state["stats"] as? [String: Any])?["ok"] as? Double ?? 0 >= 1)
        let bank = try #require(last("bmsgate/home/bank1/state")?.json, "no retained bank state")
        #expect(bank["bank"] as? String == "bank1")
        #expect(bank["online_packs"] as? [String] == ["r1"])
        #expect((bank["limits"] as? [String: Any])?["charge_voltage"] as? Double == 98)
        #expect(last("bmsgate/home/availability")?.payload == "online")
        #expect(last("bmsgate/home/r1/availability")?.payload == "online")
        #expect(last("bmsgate/home/bank1/availability")?.payload == "online")
        // retain: false → nothing retained but the availability.
        #expect(!retained.contains { $0.topic == "volatile/home/r1/state" })
        #expect(live.waitFor(5) { $0.topic == "volatile/home/r1/state" && $0.qos == 0 } != nil)

        // Discovery: one retained config per numeric field of the pack and of the bank.
        let configs = retained.filter { $0.topic.hasPrefix("homeassistant/") && $0.topic.hasSuffix("/config") }
        for (id, json) in [("r1", state), ("bank1", bank)] {
            let mine = configs.compactMap(\.json).filter { $0["state_topic"] as? String == "bmsgate/home/\(id)/state" }
            let templates = Set(mine.compactMap { $0["value_template"] as? String })
            for path in numericPaths(json) {
                #expect(templates.contains("{{ \(path) }}"), "no discovery for \(id) \(path)")
            }
            for c in mine {
                let device = c["device"] as? [String: Any]
                #expect(device?["identifiers"] as? [String] == ["bmsgate_home_\(id)"])
                #expect(c["unique_id"] as? String != nil)
                let availability = c["availability"] as? [[String: Any]]
                #expect(availability?.compactMap { $0["topic"] as? String } == ["bmsgate/home/availability", "bmsgate/home/\(id)/availability"])
            }
        }
        let voltage = try #require(configs.first { $0.topic == "homeassistant/sensor/bmsgate_home_r1/voltage/config" }?.json)
        #expect(voltage["device_class"] as? String == "voltage" && voltage["unit_of_measurement"] as? String == "V")
        #expect(voltage["state_class"] as? String == "measurement")
        let device = try #require(voltage["device"] as? [String: Any])
        #expect(device["manufacturer"] as? String == "REC")
        #expect(device["model"] as? String == "REC BMS MASTER")
        #expect(device["sw_version"] as? String == "2.10")
        let soc = try #require(configs.first { $0.topic == "homeassistant/sensor/bmsgate_home_bank1/soc/config" }?.json)
        #expect(soc["device_class"] as? String == "battery" && soc["unit_of_measurement"] as? String == "%")
        let cell28 = try #require(configs.first { $0.topic == "homeassistant/sensor/bmsgate_home_r1/cell_28_voltage/config" }?.json)
        #expect(cell28["value_template"] as? String == "{{ value_json.cells[27] }}")
        #expect(!configs.contains { $0.topic.contains("volatile") })

        // Home Assistant restarts: it says so on homeassistant/status and gets discovery again.
        let before = live.messages.filter { $0.topic.hasSuffix("/voltage/config") }.count
        _ = try TestTools.run("/usr/bin/mosquitto_pub", ["-h", "127.0.0.1", "-p", "\(broker.port)", "-t", "homeassistant/status", "-m", "online"])
        #expect(TestTools.waitUntil(10) { live.messages.filter { $0.topic.hasSuffix("/voltage/config") }.count >= before + 2 })

        // A clean stop: everything says offline (retained).
        let out = gw.stop(SIGTERM)
        #expect(out.status == 0, "\(out.stderr)")
        let after = try MQTTSubscriber.retained(port: broker.port, topics: ["bmsgate/+/availability", "bmsgate/+/+/availability"])
        #expect(after.last { $0.topic == "bmsgate/home/availability" }?.payload == "offline")
        #expect(after.last { $0.topic == "bmsgate/home/r1/availability" }?.payload == "offline")
        #expect(after.last { $0.topic == "bmsgate/home/bank1/availability" }?.payload == "offline")
        live.stop()
    }

    /// `interval` equal to the poll interval publishes every reading: the polls' jitter does
    /// not make one in four look early (hardening issue).
    @Test func anIntervalEqualToThePollIntervalPublishesEveryReading() throws {
        let broker = try MosquittoBroker("interval")
        let dir = try TestTools.tempDir("mqtt-interval")
        try """
            site: every
            buses: [{id: lab, type: sim}]
            packs: [{id: p1, driver: basen, bus: lab, address: 1, poll_interval: 500ms}]
            sinks: [{type: mqtt, port: \(broker.port), interval: 500ms, discovery: false}]
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let live = try MQTTSubscriber(port: broker.port, topics: ["bmsgate/every/p1/state"])
        let gw = try gateway(dir + "/site.yaml")
        #expect(live.waitFor(20) { $0.topic == "bmsgate/every/p1/state" } != nil)
        Thread.sleep(forTimeInterval: 0.2)
        let stats = { (m: ReceivedMessage) -> Double? in
            ((try? JSONSerialization.jsonObject(with: Data(m.payload.utf8))) as? [String: Any]).flatMap { ($0["stats"] as? [String: Any])?["ok"] as? Double }
        }
        let first = try #require(live.on("bmsgate/every/p1/state").last.flatMap(stats))
        Thread.sleep(forTimeInterval: 6)
        let messages = live.on("bmsgate/every/p1/state").compactMap(stats).filter { $0 > first }
        _ = gw.stop()
        live.stop()
        let polled = (messages.max() ?? first) - first
        print("good polls \(Int(polled)), states published \(messages.count)")
        #expect(polled >= 8)
        #expect(Double(messages.count) >= polled - 1, "\(messages.count) states for \(Int(polled)) good polls")
    }

    @Test func lastWillSaysOfflineWhenTheGatewayIsKilled() throws {
        let broker = try MosquittoBroker("will")
        let dir = try TestTools.tempDir("mqtt-will")
        let config = try site(dir, name: "will", sinks: ["{type: mqtt, port: \(broker.port), interval: 1s, discovery: false}"])
        let sub = try MQTTSubscriber(port: broker.port, topics: ["bmsgate/will/availability"])
        let gw = try gateway(config)
        #expect(sub.waitFor(20) { $0.payload == "online" } != nil, "the gateway never said online")
        let killed = Date()
        _ = gw.stop(SIGKILL)
        let offline = sub.waitFor(10) { $0.payload == "offline" }
        #expect(offline != nil, "no last will after SIGKILL")
        print("last will 'offline' arrived \(String(format: "%.2f", Date().timeIntervalSince(killed))) s after SIGKILL")
        let retained = try MQTTSubscriber.retained(port: broker.port, topics: ["bmsgate/will/availability"])
        #expect(retained.last?.payload == "offline")
        sub.stop()
    }

    @Test func passwordFileAuthentication() throws {
        let dir = try TestTools.tempDir("mqtt-auth")
        let passwords = dir + "/passwords"
        try MosquittoBroker.addUser("gw", password: "s3cret-pw", file: passwords)
        try MosquittoBroker.addUser("reader", password: "reader-pw", file: passwords)
        let broker = try MosquittoBroker("auth", extra: ["password_file \(passwords)"], anonymous: false)
        let creds = ["-u", "reader", "-P", "reader-pw"]
        let sub = try MQTTSubscriber(port: broker.port, topics: ["bmsgate/#"], extra: creds)

        let goodDir = try TestTools.tempDir("mqtt-auth-good")
        let good = try gateway(try site(goodDir, name: "good", sinks: [
            "{type: mqtt, port: \(broker.port), username: gw, password_env: TEST_MQTT_PASSWORD, interval: 1s, discovery: false}",
        ]), environment: ["TEST_MQTT_PASSWORD": "s3cret-pw"])
        let secretFile = dir + "/wrong"
        try "not-the-password\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        let badDir = try TestTools.tempDir("mqtt-auth-bad")
        let bad = try gateway(try site(badDir, name: "bad", sinks: [
            "{type: mqtt, port: \(broker.port), username: gw, password_file: \(secretFile), interval: 1s, discovery: false, reconnect_max: 2s}",
        ]))
        #expect(sub.waitFor(20) { $0.topic == "bmsgate/good/r1/state" } != nil, "the gateway with the right password published nothing")
        usleep(3_000_000)
        let goodOut = good.stop(SIGTERM), badOut = bad.stop(SIGTERM)
        #expect(!sub.messages.contains { $0.topic.hasPrefix("bmsgate/bad/") })
        #expect(badOut.stderr.contains("broker refused: Connection Refused: not authorised"), "\(badOut.stderr)")
        #expect(goodOut.stderr.contains("connected"))
        for text in [goodOut.stderr, goodOut.stdout, badOut.stderr, badOut.stdout] {
            #expect(!text.contains("s3cret-pw") && !text.contains("not-the-password"))
        }
        sub.stop()

        // No password at all: a clear start-up error naming the variable.
        let missing = try TestTools.run(TestTools.bmsgate, ["run", "--config", try site(goodDir, name: "good", sinks: [
            "{type: mqtt, port: \(broker.port), username: gw, password_env: TEST_MQTT_UNSET_VARIABLE}",
        ])], timeout: 20)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("mqtt sink: password: environment variable TEST_MQTT_UNSET_VARIABLE is not set"), "\(missing.stderr)")
    }

    @Test func readingsWaitForARestartedBroker() throws {
        let broker = try MosquittoBroker("restart", persistence: true)
        let dir = try TestTools.tempDir("mqtt-restart")
        let config = try site(dir, name: "rs", sinks: [
            "{type: mqtt, port: \(broker.port), interval: 1s, queue: 100, reconnect_max: 2s}",
            "{type: mqtt, port: \(broker.port), interval: 1s, queue: 2, reconnect_max: 2s, client_id: small, topic_prefix: small, discovery: false}",
            "{type: file, path: \(dir)/readings.jsonl}",
        ])
        // A persistent session (clean session off, QoS 1): the broker keeps what arrives
        // for it while mosquitto_sub reconnects after the restart.
        let sub = try MQTTSubscriber(port: broker.port, topics: ["bmsgate/rs/r1/state", "small/rs/r1/state",
                                                                 "homeassistant/sensor/bmsgate_rs_r1/voltage/config"],
                                     extra: ["-c", "-i", "bmsgate-test-restart"])
        let gw = try gateway(config)
        defer { _ = gw.stop(SIGKILL) }
        #expect(sub.waitFor(20) { $0.topic == "bmsgate/rs/r1/state" } != nil)
        broker.stop()
        let down = Date()
        let linesBefore = TestTools.jsonLines(dir + "/readings.jsonl").count
        usleep(6_000_000)  // about 6 pack and 6 bank states at 1 s: all wait in one sink, 2 in the other
        // Polling went on while the broker was away.
        #expect(TestTools.jsonLines(dir + "/readings.jsonl").count >= linesBefore + 5)
        let up = Date()
        try broker.start()
        let discovery = sub.waitFor(20) { $0.topic.hasSuffix("/voltage/config") && $0.payload.contains("bmsgate_rs_r1") && !$0.retained }
        #expect(discovery != nil, "discovery was not sent again after the reconnect")
        #expect(sub.waitFor(15) { m in
            (m.json?["time"] as? String).flatMap { ISO8601.date($0) }.map { $0 > up.addingTimeInterval(1) } ?? false
        } != nil, "no fresh state after the restart")
        let out = gw.stop(SIGTERM)
        let received = sub.stop()
        func outage(_ topic: String) -> [Date] {
            let times = received.filter { $0.topic == topic }.compactMap { ($0.json?["time"] as? String).flatMap(ISO8601.date) }
            // QoS 1 is "at least once": a message in flight at the reconnect may come twice.
            let backlog = times.filter { $0 > down.addingTimeInterval(0.5) && $0 < up.addingTimeInterval(-0.5) }
            // The gateway sends its backlog in order, before anything newer. The broker may
            // hand the subscriber (whose persistent session it queued them for while it was
            // reconnecting too) a live message ahead of them; so: the backlog in order among
            // itself, and the last state the subscriber holds is the newest.
            #expect(backlog == backlog.sorted(), "\(topic): the outage's states out of order: \(times)")
            #expect(times.last == times.max(), "\(topic): the last state received is not the newest: \(times)")
            return backlog
        }
        // The big queue kept every reading of the outage (one a second), the small one dropped.
        let kept = outage("bmsgate/rs/r1/state")
        #expect(kept.count >= 4, "readings of the outage delivered: \(kept); \(out.stderr.suffix(3000))")
        #expect(outage("small/rs/r1/state").count < kept.count)
        #expect(out.stderr.contains("reading(s) were dropped while the broker was unreachable"), "\(out.stderr)")
        #expect(out.stderr.contains("connected after"))
    }

    @Test func tlsWithTheBrokersCA() throws {
        let dir = try TestTools.tempDir("mqtt-tls")
        try TLSFiles.make(in: dir, name: "ca")
        try TLSFiles.make(in: dir, name: "other")
        let broker = try MosquittoBroker("tls", extra: ["cafile \(dir)/ca.crt", "certfile \(dir)/ca-server.crt", "keyfile \(dir)/ca-server.key"])
        let sub = try MQTTSubscriber(port: broker.port, topics: ["bmsgate/#"], extra: ["--cafile", dir + "/ca.crt"])
        let good = try gateway(try site(try TestTools.tempDir("tls-good"), name: "tlsgood", sinks: [
            "{type: mqtt, port: \(broker.port), tls: {ca_file: \(dir)/ca.crt}, interval: 1s, discovery: false}",
        ]))
        let bad = try gateway(try site(try TestTools.tempDir("tls-bad"), name: "tlsbad", sinks: [
            "{type: mqtt, port: \(broker.port), tls: {ca_file: \(dir)/other.crt}, interval: 1s, discovery: false}",
        ]))
        #expect(sub.waitFor(20) { $0.topic == "bmsgate/tlsgood/r1/state" } != nil, "nothing over TLS; broker log: \(broker.log)")
        usleep(2_000_000)
        _ = good.stop(SIGTERM)
        let badOut = bad.stop(SIGTERM)
        #expect(!sub.stop().contains { $0.topic.hasPrefix("bmsgate/tlsbad/") })
        #expect(badOut.stderr.contains("cannot connect"), "\(badOut.stderr)")
    }
}

/// ISO-8601 times with milliseconds as the Reading JSON writes them.
enum ISO8601 {
    static func date(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text)
    }
}

/// A throw-away CA and a server certificate for 127.0.0.1, made with openssl.
enum TLSFiles {
    static func make(in dir: String, name: String) throws {
        let ca = "\(dir)/\(name)", server = "\(dir)/\(name)-server"
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: "\(dir)/\(name).ext", atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=bmsgate test CA \(name)",
             "-keyout", "\(ca).key", "-out", "\(ca).crt"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "\(server).key", "-out", "\(server).csr"],
            ["x509", "-req", "-in", "\(server).csr", "-CA", "\(ca).crt", "-CAkey", "\(ca).key", "-CAcreateserial", "-days", "2",
             "-extfile", "\(dir)/\(name).ext", "-out", "\(server).crt"],
        ]
        for args in steps {
            let r = try TestTools.run("/usr/bin/openssl", args)
            guard r.status == 0 else { throw MosquittoBroker.BrokerError(message: "openssl \(args[0]): \(r.stderr)") }
        }
    }
}
