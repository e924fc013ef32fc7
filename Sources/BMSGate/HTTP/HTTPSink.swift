import Logging

/// The `http` sink: keeps the newest snapshot for the HTTP API and serves it.
public final class HTTPSink: Sink {
    public let name: String
    public let server: APIServer
    let access: GatewayAccess
    private let feed: HTTPEventFeed

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
        let server = server, access = access
        feed = HTTPEventFeed { snapshot in
            server.events.publish("site", data: DashboardRoutes.eventJSON(snapshot, sinks: access.sinkHealth).render())
        }
        try server.start()
    }

    /// Keeps the snapshot for the API, adds what changed to the dashboard's history and,
    /// while a dashboard is open, hands it to the event feed (which renders on its own
    /// thread, at most five times a second).
    public func write(_ snapshot: Snapshot) {
        access.update(snapshot)
        server.history.record(snapshot)
        guard server.events.count > 0 else { return }
        feed.offer(snapshot)
    }

    /// Storing the snapshot and the history's few numbers never waits on a client: the
    /// publisher does it, without a thread wake per snapshot.
    public var writesInline: Bool { true }

    public func close() {
        feed.stop()
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
