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

extension PrometheusPushSettings: SinkSettings {
    public static let type = "prometheus"

    static let registration = SinkRegistration(PrometheusPushSettings.self, keys: ["url", "interval", "job"]) { section, d in
        guard let url = section.string("url", required: true) else { return nil }
        if !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            d.report(section.value("url"), "'url' of the prometheus sink must be an http(s) URL of a Pushgateway or a VictoriaMetrics import")
        }
        var p = PrometheusPushSettings(url: url)
        p.interval = section.duration("interval", minimum: .seconds(1)) ?? p.interval
        if let job = section.string("job") { p.job = job }
        return p
    } make: { p, c in
        PrometheusPushSink(settings: p, access: c.access, logger: c.logger)
    }
}
