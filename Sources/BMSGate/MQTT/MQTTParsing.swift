import Yams

/// Reads the `mqtt` sink section.
enum MQTTParsing {
    static let keys = ["type", "host", "port", "tls", "username", "password", "password_env", "password_file", "client_id",
                       "topic_prefix", "retain", "qos", "interval", "keepalive", "discovery", "discovery_prefix",
                       "queue", "queue_policy", "reconnect_max", "remote_limits"]

    static func settings(_ section: YAMLSection, _ d: ConfigDiagnostics) -> MQTTSinkSettings {
        var m = MQTTSinkSettings()
        if let host = section.string("host") { m.host = host }
        if let v = section.value("tls") { m.tls = tls(v, d) }
        m.port = section.int("port", in: 1...65535) ?? (m.tls == nil ? 1883 : 8883)
        m.username = section.string("username")
        if let v = section.value("password") {
            d.report(v, "the MQTT password is never written in the site file: use password_env: VARIABLE or password_file: PATH")
        }
        let env = section.string("password_env"), file = section.string("password_file")
        if env != nil && file != nil {
            d.report(section.value("password_file"), "give the MQTT password either by password_env or by password_file, not both")
        }
        if let env { m.password = .environment(env) } else if let file { m.password = .file(file) }
        if m.password != nil && m.username == nil {
            d.report(section.value("password_env") ?? section.value("password_file"), "an MQTT password needs a username")
        }
        m.clientId = section.string("client_id")
        if let prefix = section.string("topic_prefix") {
            if let problem = topicProblem(prefix) {
                d.report(section.value("topic_prefix"), "'topic_prefix' of the mqtt sink \(problem)")
            } else {
                m.topicPrefix = prefix
            }
        }
        m.retain = section.bool("retain") ?? m.retain
        m.qos = section.int("qos", in: 0...2) ?? m.qos
        m.interval = section.duration("interval", minimum: .milliseconds(100)) ?? m.interval
        m.keepalive = section.duration("keepalive", minimum: .seconds(5)) ?? m.keepalive
        m.discovery = section.bool("discovery") ?? m.discovery
        m.remoteLimits = section.bool("remote_limits") ?? m.remoteLimits
        if let prefix = section.string("discovery_prefix") {
            if let problem = topicProblem(prefix), !prefix.isEmpty {
                d.report(section.value("discovery_prefix"), "'discovery_prefix' of the mqtt sink \(problem)")
            } else if prefix.isEmpty {
                d.report(section.value("discovery_prefix"), "'discovery_prefix' of the mqtt sink must not be empty (Home Assistant listens on homeassistant)")
            } else {
                m.discoveryPrefix = prefix
            }
        }
        m.queueSize = section.int("queue", in: 1...1_000_000) ?? m.queueSize
        if let v = section.value("queue_policy") {
            if let text = v.string, let policy = MQTTQueuePolicy(rawValue: text) { m.queuePolicy = policy } else {
                d.report(v, "'queue_policy' of the mqtt sink must be drop_oldest or drop_newest")
            }
        }
        m.reconnectMax = section.duration("reconnect_max", minimum: .seconds(1)) ?? m.reconnectMax
        return m
    }

    /// `tls: true` (system CAs) or `tls: {ca_file, cert_file, key_file, insecure}`.
    static func tls(_ node: Node, _ d: ConfigDiagnostics) -> MQTTTLSSettings? {
        if case .scalar(let s) = node {
            switch s.string {
            case "true", "yes", "on": return MQTTTLSSettings()
            case "false", "no", "off": return nil
            default: break
            }
        }
        guard let section = YAMLSection(node, what: "'tls' of the mqtt sink (true or {ca_file, cert_file, key_file, insecure})",
                                        diagnostics: d) else { return nil }
        section.reject(unknownBut: ["ca_file", "cert_file", "key_file", "insecure"])
        var t = MQTTTLSSettings()
        t.caFile = section.string("ca_file")
        t.certFile = section.string("cert_file")
        t.keyFile = section.string("key_file")
        if (t.certFile == nil) != (t.keyFile == nil) {
            d.report(node, "a TLS client certificate needs both cert_file and key_file")
        }
        t.insecure = section.bool("insecure") ?? false
        return t
    }

    /// Why `text` cannot start a topic, nil when it can ("" is allowed: no prefix).
    static func topicProblem(_ text: String) -> String? {
        if text.contains("+") || text.contains("#") { return "must not contain the MQTT wildcards + or #" }
        if text.hasPrefix("/") || text.hasSuffix("/") { return "must not start or end with /" }
        if text.contains("//") { return "must not contain an empty level (//)" }
        if text.utf8.contains(0) { return "must not contain NUL" }
        return nil
    }
}
