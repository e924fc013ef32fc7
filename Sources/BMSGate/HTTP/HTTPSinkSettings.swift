/// Settings of the `http` sink (the HTTP API and /metrics).
public struct HTTPSinkSettings: Sendable, Equatable {
    /// Listen address; loopback by default (the API can write to BMSes).
    public var host = "127.0.0.1"
    public var port = 8080
    /// Bearer token for routes that write; nil = such routes are refused.
    public var token: SecretSource?
    /// Largest request body accepted.
    public var maxBody = 64 << 10
    /// How long a driver command may wait for its bus before it is dropped (503); a
    /// dropped command never runs later.
    public var commandTimeout: Duration = .seconds(10)
    /// Who may connect: `max_connections` 256, no per-address limit unless set (browsers and
    /// dashboards open several), `clients:` never displaced, `allow:` when given.
    public var connections = ConnectionPolicy(maxConnections: 256, maxPerAddress: 256)
    /// A connection with no request in progress is closed after this long.
    public var idleTimeout: Duration = .seconds(30)
    /// A request's headers must arrive in full this long after its first byte (408 otherwise).
    public var headerTimeout: Duration = .seconds(10)

    /// The most connections it holds.
    public var maxConnections: Int? { connections.maxConnections }

    /// 127.0.0.1:8080, no token, 64 KB bodies.
    public init() {}
}

