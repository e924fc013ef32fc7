/// Readings waiting for the broker: a bounded FIFO. When full, the policy drops the
/// oldest or the newest message; drops are counted in all and per burst (a burst ends
/// when the queue drains), so an outage is logged once, not once per message.
public struct MQTTOutbox: Sendable {
    public let capacity: Int
    public let policy: MQTTQueuePolicy
    private var items: [MQTTMessage] = []
    private var head = 0
    /// Messages dropped since the start.
    public private(set) var dropped = 0
    /// Messages dropped in the current burst (reset by `endBurst`).
    public private(set) var droppedInBurst = 0

    /// An empty outbox for `capacity` messages.
    public init(capacity: Int, policy: MQTTQueuePolicy) {
        self.capacity = max(1, capacity)
        self.policy = policy
    }

    /// Messages waiting.
    public var count: Int { items.count - head }
    public var isEmpty: Bool { count == 0 }

    /// Adds a message; returns true when this started a burst of drops (log it then).
    @discardableResult
    public mutating func append(_ message: MQTTMessage) -> Bool {
        guard count >= capacity else {
            items.append(message)
            return false
        }
        dropped += 1
        droppedInBurst += 1
        if policy == .dropOldest {
            head += 1
            items.append(message)
            compact()
        }
        return droppedInBurst == 1
    }

    /// The oldest message, without removing it.
    public var first: MQTTMessage? { isEmpty ? nil : items[head] }

    /// Removes the oldest message.
    public mutating func removeFirst() {
        guard !isEmpty else { return }
        head += 1
        compact()
    }

    /// Ends the current burst; returns how many were dropped in it.
    public mutating func endBurst() -> Int {
        defer { droppedInBurst = 0 }
        return droppedInBurst
    }

    private mutating func compact() {
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
    }
}
