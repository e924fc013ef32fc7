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

/// Settings of the `prometheus` sink: pushes the /metrics text periodically.
public struct PrometheusPushSettings: Sendable, Equatable {
    /// A Pushgateway base URL (`http://host:9091`, the job path is added) or a
    /// VictoriaMetrics import URL (`.../api/v1/import/prometheus`, posted as is).
    public var url: String
    public var interval: Duration = .seconds(60)
    /// Pushgateway job name.
    public var job = "bmsgate"

    /// Pushes to `url` every minute.
    public init(url: String) { self.url = url }

    /// Where the text goes: Pushgateway URLs get `/metrics/job/<job>`.
    public var target: String {
        if url.contains("/api/v1/import") || url.contains("/metrics/job/") { return url }
        return (url.hasSuffix("/") ? String(url.dropLast()) : url) + "/metrics/job/" + job
    }
}
