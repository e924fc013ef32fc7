import Foundation
import Synchronization

/// What an inverter link says now: the newest encoding of its bank's command, posted by the
/// publisher, read by the link's own thread whenever it sends or answers; and the one stall
/// rule of every link: an encoding older than `InverterCommand.maximumAge` (the gateway
/// stopped producing commands) gives way to its `stalled` twin (0 A, nothing enabled,
/// system error). Before the first post, the link says `stalled` too.
public final class InverterLinkState<Value: Sendable>: Sendable {
    private struct Held {
        var value: Value
        var stalled: Value
        var postedMs: UInt64?
    }
    private let held: Mutex<Held>
    private let maximumAgeMs: UInt64

    /// A link state saying `initial` (as stalled: nothing posted yet) for a bank whose packs
    /// go stale after `staleAfter`.
    public init(initial: Value, staleAfter: Duration) {
        held = Mutex(Held(value: initial, stalled: initial, postedMs: nil))
        maximumAgeMs = UInt64(InverterCommand.maximumAge(staleAfter: staleAfter).milliseconds)
    }

    /// Posts the newest encoding and its stalled twin, stamped `nowMs` (monotonic).
    public func post(_ value: Value, stalled: Value, nowMs: UInt64 = MonotonicClock.nowMs()) {
        held.withLock { $0 = Held(value: value, stalled: stalled, postedMs: nowMs) }
    }

    /// What to say at `nowMs`. A value stamped after `nowMs` (posted while the caller was
    /// opening its link) is new, not old: the age never wraps.
    public func current(nowMs: UInt64 = MonotonicClock.nowMs()) -> Value {
        held.withLock { h in
            guard let posted = h.postedMs, nowMs.saturatingAge(since: posted) <= maximumAgeMs else { return h.stalled }
            return h.value
        }
    }
}
