import Foundation

/// Where a component takes its time from: monotonic milliseconds for intervals, ages and
/// deadlines (never stepped by NTP), and the wall clock for stamps people read. The gateway
/// hands one clock to everything it builds; tests hand a manual one and move it by hand
/// instead of sleeping.
public protocol GatewayClock: Sendable {
    /// Monotonic milliseconds since an arbitrary epoch.
    func nowMs() -> UInt64
    /// The wall clock.
    func now() -> Date
}

/// The system's clocks: CLOCK_MONOTONIC and the wall clock.
public struct SystemClock: GatewayClock {
    /// The system's clocks.
    public init() {}
    public func nowMs() -> UInt64 { MonotonicClock.nowMs() }
    public func now() -> Date { Date() }
}
