import Foundation

/// A mutex and condition variable whose timed waits run on CLOCK_MONOTONIC, so a step of
/// the wall clock (NTP on a board without a real-time clock) never stretches or cuts a
/// wait. NSCondition's `wait(until: Date)` is wall-clock based; this is its replacement.
public final class MonotonicCondition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// A new condition.
    public init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(cond, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` holding the mutex.
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits (mutex held) until signalled or until `deadlineMs` on `MonotonicClock`;
    /// false when the deadline passed. Spurious wake-ups return true, as with any condition.
    @discardableResult
    public func wait(untilMs deadlineMs: UInt64) -> Bool {
        var ts = timespec(tv_sec: Int(deadlineMs / 1000), tv_nsec: Int(deadlineMs % 1000) * 1_000_000)
        return pthread_cond_timedwait(cond, mutex, &ts) == 0
    }

    /// Waits (mutex held) until signalled.
    public func wait() { pthread_cond_wait(cond, mutex) }

    /// Wakes one waiter.
    public func signal() { pthread_cond_signal(cond) }

    /// Wakes every waiter.
    public func broadcast() { pthread_cond_broadcast(cond) }
}
