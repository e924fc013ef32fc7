import Foundation

/// A monotonic millisecond clock that moves only when told (inject it where a type takes
/// `clock: () -> UInt64`, e.g. `Site`).
public final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var ms: UInt64

    /// A clock at `start` ms.
    public init(start: UInt64 = 1_000_000) { ms = start }

    /// The time now.
    public func now() -> UInt64 { lock.withLock { ms } }
    /// Moves the clock forward.
    public func advance(_ duration: Duration) {
        lock.withLock { ms += UInt64(max(0, duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)) }
    }
}
