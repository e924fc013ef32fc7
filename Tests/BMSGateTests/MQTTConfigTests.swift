import Foundation
import Testing

@testable import BMSGate

/// The `mqtt` sink section of the site file and where secrets come from.
@Suite struct MQTTConfigTests {
    let head = """
        site: home
        buses: [{id: lab, type: sim}]
        packs: [{id: r1, driver: rec-bms, bus: lab, address: 1}]

        """

    func mqtt(_ sink: String) throws -> MQTTSinkSettings {
        let site = try ConfigLoader.parse(yaml: head + "sinks:\n  - " + sink, file: "site.yaml")
        guard let m = site.sinks[0].settings as? MQTTSinkSettings else { throw ConfigError([]) }
        return m
    }

    @Test func everyOptionParses() throws {
        let m = try mqtt("""
            {type: mqtt, host: broker.lan, port: 8884, tls: {ca_file: /etc/ca.pem, cert_file: c.pem, key_file: k.pem, insecure: true},
               username: gw, password_file: /run/secrets/mqtt, client_id: gw-1, topic_prefix: solar/bms, retain: false, qos: 2,
               interval: "0:0:0:30", keepalive: 20s, discovery: false, discovery_prefix: ha, queue: 50, queue_policy: drop_newest,
               reconnect_max: 10s}
            """)
        #expect(m.host == "broker.lan" && m.port == 8884)
        #expect(m.tls?.caFile == "/etc/ca.pem" && m.tls?.certFile == "c.pem" && m.tls?.keyFile == "k.pem" && m.tls?.insecure == true)
        #expect(m.username == "gw" && m.password == .file("/run/secrets/mqtt"))
        #expect(m.clientId(site: "home") == "gw-1" && m.topicPrefix == "solar/bms")
        #expect(!m.retain && m.qos == 2)
        #expect(m.interval == .seconds(30))
        #expect(m.keepalive == .seconds(20))
        #expect(!m.discovery && m.discoveryPrefix == "ha")
        #expect(m.queueSize == 50 && m.queuePolicy == .dropNewest)
        #expect(m.reconnectMax == .seconds(10))
    }

    @Test func defaults() throws {
        let m = try mqtt("{type: mqtt}")
        #expect(m == MQTTSinkSettings())
        #expect(m.host == "127.0.0.1" && m.port == 1883 && m.tls == nil && m.topicPrefix == "bmsgate")
        #expect(m.retain && m.qos == 1 && m.discovery && m.discoveryPrefix == "homeassistant")
        #expect(m.clientId(site: "home") == "bmsgate-home")
        #expect(m.queueSize == 1000 && m.queuePolicy == .dropOldest)
        let tls = try mqtt("{type: mqtt, tls: true, username: gw, password_env: MQTT_PASSWORD, topic_prefix: \"\"}")
        #expect(tls.port == 8883 && tls.tls == MQTTTLSSettings() && tls.password == .environment("MQTT_PASSWORD"))
        #expect(tls.topicPrefix == "")
    }

    @Test func topicsOfASite() {
        let t = MQTTTopics(prefix: "bmsgate", site: "home", discoveryPrefix: "homeassistant")
        #expect(t.availability == "bmsgate/home/availability")
        #expect(t.state("r1") == "bmsgate/home/r1/state")
        #expect(t.availability("main") == "bmsgate/home/main/availability")
        #expect(t.homeAssistantStatus == "homeassistant/status")
        #expect(t.deviceId("r-1") == "bmsgate_home_r_1")
        #expect(MQTTTopics(prefix: "", site: "home", discoveryPrefix: "ha").state("r1") == "home/r1/state")
    }

    @Test func clearPasswordsAndBadValuesAreRefused() {
        let found = configIssues(head + """
            sinks:
              - {type: mqtt, username: gw, password: hunter2}
              - {type: mqtt, password_env: A, password_file: /b}
              - {type: mqtt, topic_prefix: "a/#", qos: 3, queue_policy: drop_all, interval: soon, tls: {cert_file: c.pem}}
              - {type: mqtt, topic_prefix: /x/, discovery_prefix: "", port: 0, retain: sometimes}
            """)
        #expect(found.contains("site.yaml:5:42: the MQTT password is never written in the site file: use password_env: VARIABLE or password_file: PATH"))
        #expect(found.contains { $0.hasPrefix("site.yaml:6:") && $0.hasSuffix("give the MQTT password either by password_env or by password_file, not both") })
        #expect(found.contains { $0.hasPrefix("site.yaml:6:") && $0.hasSuffix("an MQTT password needs a username") })
        #expect(found.contains("site.yaml:7:32: 'topic_prefix' of the mqtt sink must not contain the MQTT wildcards + or #"))
        #expect(found.contains { $0.contains("'qos' in sink 'mqtt' (sinks[2]) must be within 0...2, not 3") })
        #expect(found.contains { $0.contains("'queue_policy' of the mqtt sink must be drop_oldest or drop_newest") })
        #expect(found.contains { $0.contains("'interval' in sink 'mqtt' (sinks[2]) must be a duration") })
        #expect(found.contains { $0.contains("a TLS client certificate needs both cert_file and key_file") })
        #expect(found.contains { $0.contains("'topic_prefix' of the mqtt sink must not start or end with /") })
        #expect(found.contains { $0.contains("'discovery_prefix' of the mqtt sink must not be empty") })
        #expect(found.contains { $0.contains("'port' in sink 'mqtt' (sinks[3]) must be within 1...65535, not 0") })
        #expect(found.contains { $0.contains("'retain' in sink 'mqtt' (sinks[3]) must be true or false") })
        #expect(!found.contains { $0.contains("hunter2") })
    }

    @Test func siteNameAndIdsMustMakeTopics() {
        let found = configIssues("""
            site: "my+site"
            buses: [{id: lab, type: sim}]
            packs: [{id: main, driver: basen, bus: lab, address: 1}]
            banks: [{id: main, packs: [main]}]
            sinks: [{type: mqtt}]
            """)
        #expect(found.contains("site.yaml:1:7: the site name is a level of every MQTT topic and must not contain the MQTT wildcards + or #"))
        #expect(found.contains("site.yaml:4:9: bank id 'main' is also a pack id; give the bank its own name"))
        let slash = configIssues("site: a/b\nbuses: [{id: lab, type: sim}]\npacks: [{id: p, driver: basen, bus: lab, address: 1}]\nsinks: [{type: mqtt}]")
        #expect(slash.contains("site.yaml:1:7: the site name is one MQTT topic level and must not contain /"))
    }

    @Test func recFrequencyIsADuration() {
        #expect(DurationParsing.parse("0:0:0:30") == .seconds(30))
        #expect(DurationParsing.parse("0:1:0:0") == .seconds(3600))
        #expect(DurationParsing.parse("1:0:0:0") == .seconds(86400))
        #expect(DurationParsing.parse("2:30") == .seconds(150))
        #expect(DurationParsing.parse("1:2:3:4:5") == nil)
        #expect(DurationParsing.parse("0:x:0") == nil)
        #expect(DurationParsing.parse("0:-1") == nil)
    }

    @Test func secretsComeFromEnvironmentOrFile() throws {
        #expect(try SecretReader.read(.environment("PW"), environment: ["PW": "s3cret"]) == "s3cret")
        #expect(throws: SecretReader.Failure.self) { try SecretReader.read(.environment("PW"), environment: [:]) }
        #expect(throws: SecretReader.Failure.self) { try SecretReader.read(.environment("PW"), environment: ["PW": ""]) }
        let path = NSTemporaryDirectory() + "bmsgate-secret-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "pass word\nsecond line\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try SecretReader.read(.file(path)) == "pass word")
        try "crlf\r\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try SecretReader.read(.file(path)) == "crlf")
        try "\n".write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try SecretReader.read(.file(path))
            Issue.record("an empty secret file was accepted")
        } catch {
            #expect(error.description == "the secret file \(path) is empty")
        }
        #expect(throws: SecretReader.Failure.self) { try SecretReader.read(.file(path + ".missing")) }
    }
}
