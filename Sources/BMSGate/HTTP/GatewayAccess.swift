import Foundation

/// What the HTTP API needs from the running gateway: the latest snapshot, vendor commands
/// on a pack (serialized with its bus), and the sinks' drop counters. Set by the Gateway
/// once its buses exist.
public final class GatewayAccess: @unchecked Sendable {
    private let lock = NSLock()
    private var commandHandler: (@Sendable (String, String, Duration) async -> Result<String, PollFailure>)?
    private var dropsHandler: (@Sendable () -> [(String, Int)])?
    private var latest: Snapshot?

    /// Access with nothing connected yet.
    public init() {}

    /// Connects the gateway's command and drop counters.
    public func connect(command: @escaping @Sendable (String, String, Duration) async -> Result<String, PollFailure>,
                        drops: @escaping @Sendable () -> [(String, Int)]) {
        lock.withLock {
            commandHandler = command
            dropsHandler = drops
        }
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

    /// Dropped snapshots per sink.
    public var sinkDrops: [(String, Int)] { lock.withLock { dropsHandler }?() ?? [] }
}

