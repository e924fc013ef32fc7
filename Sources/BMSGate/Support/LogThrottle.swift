import Logging

/// Repeated peer events (a client connecting and leaving, again and again) as a count per
/// interval instead of a line per event: the first event of a kind in an interval is logged
/// as it happens, the rest of that interval are counted and said in one line when the next
/// interval begins (or at `flush`). Used from one thread.
struct LogThrottle {
    /// How long one interval lasts.
    let intervalMs: UInt64
    private var windows: [String: (startMs: UInt64, suppressed: Int)] = [:]

    /// A throttle with intervals of `interval` (60 s by default).
    init(interval: Duration = .seconds(60)) {
        intervalMs = UInt64(max(1, interval.milliseconds))
    }

    /// Logs `message` at `level` unless an event of `kind` was already logged in this
    /// interval, in which case it is counted.
    mutating func note(_ kind: String, _ message: @autoclosure () -> String, level: Logger.Level, logger: Logger,
                       nowMs: UInt64 = MonotonicClock.nowMs()) {
        if let w = windows[kind], nowMs.saturatingAge(since: w.startMs) < intervalMs {
            windows[kind] = (w.startMs, w.suppressed + 1)
            return
        }
        summarize(kind, logger: logger, level: level)
        windows[kind] = (nowMs, 0)
        logger.log(level: level, "\(message())")
    }

    /// Says the counts of intervals that have ended (call it now and then, e.g. once a second).
    mutating func flush(logger: Logger, level: Logger.Level, nowMs: UInt64 = MonotonicClock.nowMs()) {
        for (kind, w) in windows where nowMs.saturatingAge(since: w.startMs) >= intervalMs {
            summarize(kind, logger: logger, level: level)
            windows[kind] = nil
        }
    }

    private mutating func summarize(_ kind: String, logger: Logger, level: Logger.Level) {
        guard let w = windows[kind], w.suppressed > 0 else { return }
        logger.log(level: level, "\(w.suppressed) more '\(kind)' events in the last \(intervalMs / 1000) s (not logged one by one)")
        windows[kind] = (w.startMs, 0)
    }
}
