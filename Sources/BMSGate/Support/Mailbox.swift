import Foundation

/// The newest values for one consumer thread: a producer posts without ever blocking, the
/// consumer waits for what came since it last took. It holds at most `capacity` values
/// (1: only the newest); when full, the oldest goes and is counted in `dropped` (the newest
/// state matters most). Every sink thread of the gateway waits on one of these.
public final class Mailbox<Value: Sendable>: @unchecked Sendable {
    /// The most values held at once.
    public let capacity: Int
    private let condition = MonotonicCondition()
    private var items: [Value] = []
    private var closed = false
    private var droppedCount = 0

    /// An empty mailbox holding at most `capacity` values (at least 1).
    public init(capacity: Int = 1) {
        self.capacity = max(1, capacity)
    }

    /// Leaves `value` for the consumer, dropping the oldest when full. False once closed
    /// (the value is not kept).
    @discardableResult
    public func post(_ value: Value) -> Bool {
        condition.withLock {
            guard !closed else { return false }
            if items.count >= capacity {
                items.removeFirst()
                droppedCount += 1
            }
            items.append(value)
            condition.signal()
            return true
        }
    }

    /// Waits until something is posted or the mailbox closes, then returns whatever is
    /// held, oldest first (`limit` at most). Empty only when closed with nothing left.
    public func take(limit: Int = .max) -> [Value] {
        condition.withLock {
            while items.isEmpty && !closed { condition.wait() }
            let n = min(limit, items.count)
            defer { items.removeFirst(n) }
            return Array(items.prefix(n))
        }
    }

    /// Waits until something is posted, the mailbox closes, or `ms` pass (monotonic);
    /// true when something is held.
    public func wait(ms: Int) -> Bool {
        let until = MonotonicClock.nowMs() + UInt64(max(0, ms))
        return condition.withLock {
            while items.isEmpty && !closed {
                if !condition.wait(untilMs: until) { break }
            }
            return !items.isEmpty
        }
    }

    /// Values dropped because the consumer fell behind.
    public var dropped: Int { condition.withLock { droppedCount } }

    /// Whether `close` was called.
    public var isClosed: Bool { condition.withLock { closed } }

    /// Takes no more values and wakes the consumer; what is held stays to be taken unless
    /// `discarding`.
    public func close(discarding: Bool = false) {
        condition.withLock {
            closed = true
            if discarding { items.removeAll() }
            condition.broadcast()
        }
    }
}
