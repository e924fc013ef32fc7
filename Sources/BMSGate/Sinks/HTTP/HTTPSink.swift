import Logging

/// The `http` sink: keeps the newest snapshot for the HTTP API and serves it.
public final class HTTPSink: Sink {
    public let name: String
    public let server: APIServer
    let access: GatewayAccess

    /// Binds and starts the API (throws when the address is taken or the token cannot be read).
    public init(settings: HTTPSinkSettings, site: SiteConfig, routes: CommandRoutes, access: GatewayAccess, logger: Logger) throws {
        let token: String?
        do {
            token = try settings.token.map { try SecretReader.read($0) }
        } catch {
            throw TransportError("token: \(error)")
        }
        self.access = access
        server = APIServer(settings: settings, token: token, site: site, routes: routes, access: access, logger: logger)
        for note in routes.rejected { logger.warning("http: route not served: \(note)") }
        name = "http \(settings.host):\(settings.port)"
        try server.start()
    }

    /// Keeps the snapshot for the API, adds it to the dashboard's history and sends it to
    /// every open event stream.
    public func write(_ snapshot: Snapshot) {
        access.update(snapshot)
        server.history.record(snapshot)
        guard server.events.count > 0 else { return }
        server.events.publish("site", data: DashboardRoutes.eventJSON(snapshot, sinks: access.sinkHealth).render())
    }

    public func close() {
        server.events.finishAll()
        server.stop()
    }

    public var counters: [SinkCounter] {
        let s = server.connectionStats
        return SinkCounter.connections(open: s.open, accepted: s.accepted, evicted: s.evicted, refused: s.refused) + [
            SinkCounter("header_timeouts_total", "Connections closed because request headers did not arrive in time (408)", Double(s.headerTimeouts)),
            SinkCounter("request_timeouts_total", "Connections closed because a request did not complete in time", Double(s.requestTimeouts)),
        ]
    }
}
