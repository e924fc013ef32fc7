import Synchronization

/// A value handed between threads behind a lock (a result a callback leaves for the thread
/// that waits for it): checked `Sendable`, where a class with a bare `var` would need an
/// `@unchecked` promise.
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    /// A box holding `value`.
    public init(_ value: Value) { mutex = Mutex(value) }

    /// The value now.
    public var value: Value { mutex.withLock { $0 } }

    /// Replaces the value.
    public func set(_ value: Value) { mutex.withLock { $0 = value } }

    /// Reads and changes the value in one step (nobody else sees it in between).
    public func update<Result: Sendable>(_ body: (inout Value) -> Result) -> Result { mutex.withLock { body(&$0) } }
}
