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
    private let cursor = Mutex(SnapshotCursor())
    /// Whose time stamps and ages the encodings.
    public let clock: any GatewayClock

    /// A link state saying `initial` (as stalled: nothing posted yet) for a bank whose packs
    /// go stale after `staleAfter`, on `clock`.
    public init(initial: Value, staleAfter: Duration, clock: any GatewayClock = SystemClock()) {
        held = Mutex(Held(value: initial, stalled: initial, postedMs: nil))
        maximumAgeMs = UInt64(InverterCommand.maximumAge(staleAfter: staleAfter).milliseconds)
        self.clock = clock
    }

    /// Posts the newest encoding and its stalled twin, stamped now.
    public func post(_ value: Value, stalled: Value) {
        let nowMs = clock.nowMs()
        held.withLock { $0 = Held(value: value, stalled: stalled, postedMs: nowMs) }
    }

    /// Stamps what is posted as new again (the bank did not change since: the gateway still
    /// produces commands, so the stall rule must not fire).
    public func touch() {
        let nowMs = clock.nowMs()
        held.withLock { if $0.postedMs != nil { $0.postedMs = nowMs } }
    }

    /// Whether `snapshot` changed `bank` (index) since this link last encoded it; the
    /// publisher calls it once per snapshot (inline writes never overlap).
    public func bankChanged(_ b: Int, in snapshot: Snapshot) -> Bool {
        cursor.withLock { $0.changes(in: snapshot).banks.contains(b) }
    }

    /// What to say now.
    public func current() -> Value { current(nowMs: clock.nowMs()) }

    /// What to say at `nowMs` (the clock as a caller read it). A value stamped after
    /// `nowMs` (posted while the caller was opening its link) is new, not old: the age
    /// never wraps.
    public func current(nowMs: UInt64) -> Value {
        held.withLock { h in
            guard let posted = h.postedMs, nowMs.saturatingAge(since: posted) <= maximumAgeMs else { return h.stalled }
            return h.value
        }
    }
}
