import Foundation

/// What the HTTP API needs from the running gateway: the latest snapshot, vendor commands
/// on a pack (serialized with its bus), and the sinks' drop counters. Set by the Gateway
/// once its buses exist.
public final class GatewayAccess: @unchecked Sendable {
    private let lock = NSLock()
    private var commandHandler: (@Sendable (String, String, Duration) async -> Result<String, PollFailure>)?
    private var healthHandler: (@Sendable () -> [SinkHealth])?
    private var latest: Snapshot?
    private weak var connectedSite: Site?

    /// Access with nothing connected yet.
    public init() {}

    /// Connects the gateway's command path and the sinks' counters.
    public func connect(command: @escaping @Sendable (String, String, Duration) async -> Result<String, PollFailure>,
                        sinks: @escaping @Sendable () -> [SinkHealth]) {
        lock.withLock {
            commandHandler = command
            healthHandler = sinks
        }
    }

    /// The running site (remote limits go to its banks' controllers).
    public var site: Site? {
        get { lock.withLock { connectedSite } }
        set { lock.withLock { connectedSite = newValue } }
    }

    /// Stores the newest snapshot.
    public func update(_ snapshot: Snapshot) { lock.withLock { latest = snapshot } }

    /// The newest snapshot, if any arrived.
    public var snapshot: Snapshot? { lock.withLock { latest } }

    /// Runs a vendor command on the pack's bus thread; no thread waits for it.
    public func command(pack: String, request: String, timeout: Duration) async -> Result<String, PollFailure> {
        guard let handler = lock.withLock({ commandHandler }) else {
            return .failure(PollFailure(.io, "the gateway is not running yet"))
        }
        return await handler(pack, request, timeout)
    }

    /// Each sink's dropped snapshots and counters.
    public var sinkHealth: [SinkHealth] { lock.withLock { healthHandler }?() ?? [] }
}

