import BMSGate
import Foundation

/// A sink that keeps every snapshot it is given (for tests of the site and the publisher).
public final class InMemorySink: Sink, @unchecked Sendable {
    public let name = "memory"
    private let lock = NSLock()
    private var kept: [Snapshot] = []
    private var closed_ = false

    /// An empty sink.
    public init() {}

    public func write(_ snapshot: Snapshot) { lock.withLock { kept.append(snapshot) } }
    public func close() { lock.withLock { closed_ = true } }

    /// Every snapshot so far, oldest first.
    public var snapshots: [Snapshot] { lock.withLock { kept } }
    /// True once the runner closed it.
    public var closed: Bool { lock.withLock { closed_ } }
}
