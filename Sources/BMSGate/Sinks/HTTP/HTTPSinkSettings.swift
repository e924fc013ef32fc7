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

    /// 127.0.0.1:8080, no token, 64 KB bodies.
    public init() {}
}

