/// One limit that falls at once and rises slowly: a rise waits `hold` (the target must stay
/// above the output that long) and then moves at most `rate` per second. A fall, or a
/// target at or under the output, is taken at once and restarts the hold. The first value
/// is taken at once (nothing to oscillate against yet).
public struct RiseLimiter: Sendable, Equatable {
    /// What the limit is now; nil before the first step.
    public private(set) var output: Double?
    /// Since when the target has been above the output (monotonic ms).
    private var riseSinceMs: UInt64?
    private var lastMs: UInt64?

    /// A limiter with no value yet.
    public init() {}

    /// Moves towards `target` at `nowMs`; the new output.
    public mutating func step(to target: Double, nowMs: UInt64, hold: Duration, rate: Double) -> Double {
        defer { lastMs = nowMs }
        guard let out = output, let last = lastMs else {
            output = target
            return target
        }
        if target <= out {
            output = target
            riseSinceMs = nil
            return target
        }
        let since = riseSinceMs ?? nowMs
        riseSinceMs = since
        let holdEnd = since + UInt64(max(0, hold.milliseconds))
        guard nowMs > holdEnd else { return out }
        let from = max(last, holdEnd)
        let seconds = Double(nowMs.subtractingReportingOverflow(from).partialValue) / 1000
        let next = min(target, out + max(0, rate) * seconds)
        output = next
        return next
    }

    /// Keeps the output but restarts the hold: time spent here (a failsafe) earns no rise.
    public mutating func pause(nowMs: UInt64) {
        riseSinceMs = nil
        if output != nil { lastMs = nowMs }
    }

    /// Sets the output (a value restored or forced), restarting the hold.
    public mutating func reset(to value: Double?, nowMs: UInt64) {
        output = value
        riseSinceMs = nil
        lastMs = value == nil ? nil : nowMs
    }
}

extension Duration {
    /// Whole milliseconds (rounded down).
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
