import BMSCore
import Foundation
import Synchronization

/// A clock that moves only when told: monotonic milliseconds and a wall clock that move
/// together. Inject it where a type takes a `GatewayClock` (`Site`, `Gateway`, the inverter
/// links' state) and move it with `advance` instead of sleeping.
public final class ManualClock: GatewayClock {
    private let state: Mutex<(ms: UInt64, wall: Date)>

    /// A clock at `start` ms, its wall clock at `wall`.
    public init(start: UInt64 = 1_000_000, wall: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        state = Mutex((start, wall))
    }

    public func nowMs() -> UInt64 { state.withLock { $0.ms } }
    public func now() -> Date { state.withLock { $0.wall } }

    /// Moves both clocks forward by `duration`.
    public func advance(_ duration: Duration) {
        let ms = UInt64(max(0, duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000))
        state.withLock {
            $0.ms += ms
            $0.wall += Double(ms) / 1000
        }
    }
}
