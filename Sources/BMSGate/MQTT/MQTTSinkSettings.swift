/// Where a secret (password, token) comes from. Never the YAML in clear: secrets in a
/// site file end up in backups, bug reports and screenshots.
public enum SecretSource: Sendable, Equatable {
    /// An environment variable of the gateway process.
    case environment(String)
    /// A file (its first line; the trailing newline is not part of the secret).
    case file(String)

    /// Where, for error messages (never the value).
    public var description: String {
        switch self {
        case .environment(let name): "environment variable \(name)"
        case .file(let path): "file \(path)"
        }
    }
}

/// TLS towards the broker.
public struct MQTTTLSSettings: Sendable, Equatable {
    /// CA certificate file that signed the broker's certificate; nil = the system's CAs.
    public var caFile: String?
    /// Client certificate and key for brokers that require them.
    public var certFile: String?
    public var keyFile: String?
    /// Skip the check that the broker's certificate names `host` (for brokers reached
    /// by IP with a certificate issued to a name). The chain is still verified.
    public var insecure = false

    /// TLS with the system's CAs.
    public init() {}
}

/// What to drop when the queue of readings waiting for the broker is full.
public enum MQTTQueuePolicy: String, Sendable {
    /// Keep the newest readings (default: the current state matters most).
    case dropOldest = "drop_oldest"
    /// Keep the oldest readings (a complete start of the outage).
    case dropNewest = "drop_newest"
}

/// Settings of the `mqtt` sink.
public struct MQTTSinkSettings: Sendable, Equatable {
    public var host = "127.0.0.1"
    /// 1883, or 8883 when TLS is on and no port is given.
    public var port = 1883
    /// nil = plain TCP.
    public var tls: MQTTTLSSettings?
    public var username: String?
    /// Where the password comes from (read at start; never logged).
    public var password: SecretSource?
    /// MQTT client id; default `bmsgate-<site>`.
    public var clientId: String?
    /// First topic level(s); "" = topics start with the site.
    public var topicPrefix = "bmsgate"
    /// Retain state messages (availability and discovery are always retained: they are
    /// "latest value" topics a subscriber needs when it arrives).
    public var retain = true
    /// QoS of state messages (0, 1, 2).
    public var qos = 1
    /// A pack's or bank's state is published at most this often (availability changes at
    /// once). Written as a duration or as the REC file's `Frequency` ("0:0:0:30").
    public var interval: Duration = .seconds(30)
    /// MQTT keepalive; the broker publishes the last will after 1.5 x this without traffic.
    public var keepalive: Duration = .seconds(60)
    /// Home Assistant MQTT discovery on/off and its topic prefix.
    public var discovery = true
    /// Whether `<prefix>/<site>/<bank>/limits/set` takes remote limits (they can only lower).
    public var remoteLimits = true
    public var discoveryPrefix = "homeassistant"
    /// Readings waiting while the broker is unreachable, at most.
    public var queueSize = 1000
    public var queuePolicy: MQTTQueuePolicy = .dropOldest
    /// Longest wait between reconnection attempts (doubling from 1 s).
    public var reconnectMax: Duration = .seconds(60)

    /// Defaults: 127.0.0.1:1883, prefix bmsgate, QoS 1, retained, discovery on.
    public init() {}

    /// The client id for `site`.
    public func clientId(site: String) -> String { clientId ?? "bmsgate-\(site)" }
}
