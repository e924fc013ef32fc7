import Foundation

/// What the HTTP API needs from the running gateway: the latest snapshot, vendor commands
/// on a pack (serialized with its bus), and the sinks' drop counters. Set by the Gateway
/// once its buses exist.
public final class GatewayAccess: Sendable {
    private struct State {
        var commandHandler: (@Sendable (String, String, Duration) async -> Result<String, PollFailure>)?
        var healthHandler: (@Sendable () -> [SinkHealth])?
        var latest: Snapshot?
        weak var connectedSite: Site?
    }
    private let state = Locked(State())

    /// Access with nothing connected yet.
    public init() {}

    /// Connects the gateway's command path and the sinks' counters.
    public func connect(command: @escaping @Sendable (String, String, Duration) async -> Result<String, PollFailure>,
                        sinks: @escaping @Sendable () -> [SinkHealth]) {
        state.update { s in
            s.commandHandler = command
            s.healthHandler = sinks
        }
    }

    /// The running site (remote limits go to its banks' controllers).
    public var site: Site? {
        get { state.value.connectedSite }
        set { state.update { $0.connectedSite = newValue } }
    }

    /// Stores the newest snapshot.
    public func update(_ snapshot: Snapshot) { state.update { $0.latest = snapshot } }

    /// The newest snapshot, if any arrived.
    public var snapshot: Snapshot? { state.value.latest }

    /// Runs a vendor command on the pack's bus thread; no thread waits for it.
    public func command(pack: String, request: String, timeout: Duration) async -> Result<String, PollFailure> {
        guard let handler = state.value.commandHandler else {
            return .failure(PollFailure(.io, "the gateway is not running yet"))
        }
        return await handler(pack, request, timeout)
    }

    /// Each sink's dropped snapshots and counters.
    public var sinkHealth: [SinkHealth] { state.value.healthHandler?() ?? [] }
}
