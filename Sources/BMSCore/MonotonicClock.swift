import Foundation

extension UInt64 {
    /// Milliseconds from `stamp` to this time, 0 when `stamp` is later (taken by another
    /// thread after this time was read): an age that cannot wrap to 584 million years.
    public func saturatingAge(since stamp: UInt64) -> UInt64 { self > stamp ? self - stamp : 0 }
}

/// The monotonic clock the host and drivers share.
public enum MonotonicClock {
    /// Milliseconds since an arbitrary epoch (CLOCK_MONOTONIC).
    public static func nowMs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }

    /// Sleeps the calling thread for `nanoseconds`.
    public static func sleep(nanoseconds: UInt64) {
        guard nanoseconds > 0 else { return }
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    /// Sleeps the calling thread.
    public static func sleep(ms: Int) {
        guard ms > 0 else { return }
        sleep(nanoseconds: UInt64(ms) * 1_000_000)
    }
}
