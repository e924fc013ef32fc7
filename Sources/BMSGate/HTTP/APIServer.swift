import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// The HTTP API on Hummingbird, on its own event loops: the gateway's routes (site, packs,
/// health, metrics, OpenAPI, pack commands) and the routes drivers describe (CommandRoutes). Routes that write need `Authorization: Bearer <token>`; bodies are size-limited;
/// errors are JSON `{"ok": false, "error": ...}`.
public final class APIServer: @unchecked Sendable {
    public let host: String
    public private(set) var port: Int
    let settings: HTTPSinkSettings
    let token: String?
    let access: GatewayAccess
    let site: SiteConfig
    /// The routes the site's drivers describe.
    let routes: CommandRoutes
    let logger: Logger
    /// Open connections under the sink's connection policy.
    let connections: HTTPConnectionTable
    /// The dashboard's 24-hour history (one point a minute per bank and pack).
    public let history = DashboardHistory()
    /// The dashboard's live stream.
    public let events = SiteEvents()
    private var task: Task<Void, Never>?
    private var group: ServiceGroup?
    private let done = DispatchSemaphore(value: 0)

    /// A server for `site`; `token` is the resolved bearer token (nil: writes refused).
    public init(settings: HTTPSinkSettings, token: String?, site: SiteConfig, routes: CommandRoutes, access: GatewayAccess, logger: Logger) {
        self.settings = settings
        self.routes = routes
        self.host = settings.host
        self.port = settings.port
        self.token = token
        self.site = site
        self.access = access
        self.logger = logger
        connections = HTTPConnectionTable(policy: settings.connections)
    }

    /// Connection counters so far.
    public var connectionStats: HTTPConnectionStats { connections.stats }

    /// Binds and starts serving; throws when the address cannot be bound.
    public func start() throws(TransportError) {
        let router = Router(context: BasicRequestContext.self)
        APIRoutes(server: self).register(on: router)
        let ready = DispatchSemaphore(value: 0)
        let failure = Locked<String?>(nil)
        let bound = Locked<Int?>(nil)
        var appLogger = logger
        appLogger.logLevel = .warning
        let app = Application(router: router, server: GuardedHTTP1Channel.builder(settings: settings, table: connections), configuration: .init(address: .hostname(host, port: port), serverName: "bmsgate"),
                              onServerRunning: { channel in
                                  bound.set(channel.localAddress?.port)
                                  ready.signal()
                              }, logger: appLogger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: appLogger))
        self.group = group
        task = Task { [done] in
            do {
                try await group.run()
            } catch {
                failure.set("\(error)")
                ready.signal()
            }
            done.signal()
        }
        guard ready.wait(timeout: .now() + 15) == .success, failure.value == nil else {
            task?.cancel()
            throw TransportError("cannot listen on \(host):\(port): \(failure.value ?? "the server did not start within 15 s")")
        }
        port = bound.value ?? port
        logger.info("http API on http://\(host.contains(":") ? "[\(host)]" : host):\(port) (\(token == nil ? "read-only: no token configured" : "writes need the bearer token"))")
    }

    /// Stops serving (open requests finish first).
    public func stop() {
        guard task != nil, let group else { return }
        let shut = DispatchSemaphore(value: 0)
        Task {
            await group.triggerGracefulShutdown()
            shut.signal()
        }
        _ = shut.wait(timeout: .now() + 5)
        if done.wait(timeout: .now() + 10) == .timedOut { task?.cancel() }
        task = nil
        self.group = nil
    }

}
