import Logging
import ServiceLifecycle

/// The gateway as a swift-service-lifecycle `Service`: run it in a `ServiceGroup`, which
/// handles SIGTERM/SIGINT; on graceful shutdown the buses stop, the last snapshot is
/// published and every sink is drained and closed (files flushed).
public struct GatewayService: Service {
    let gateway: Gateway
    let logger: Logger

    /// A service running `gateway`.
    public init(gateway: Gateway, logger: Logger) {
        self.gateway = gateway
        self.logger = logger
    }

    public func run() async throws {
        gateway.start()
        // Returns on graceful shutdown (a stop signal) and throws on cancellation: stop either way.
        try? await gracefulShutdown()
        logger.info("stopping")
        // Stopping joins OS threads (buses, sinks): do it on a thread of its own, not on the
        // cooperative pool.
        let gateway = self.gateway
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            WorkerThread(name: "stop") {
                gateway.stop()
                done.resume()
            }.start()
        }
    }
}
