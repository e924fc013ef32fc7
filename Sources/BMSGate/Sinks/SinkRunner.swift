import Foundation
import Logging

/// Owns a sink's bounded queue and thread. `offer` never blocks: when the queue is full
/// the oldest snapshot is dropped and counted (the newest state matters most).
public final class SinkRunner: @unchecked Sendable {
    public let sink: Sink
    public let capacity: Int
    private let condition = NSCondition()
    private var queue: [Snapshot] = []
    private var closing = false
    private var thread: WorkerThread?
    private let logger: Logger
    private var dropped = 0
    private var droppedLogged = 0

    /// A runner for `sink` with room for `capacity` snapshots.
    public init(sink: Sink, capacity: Int, logger: Logger) {
        self.sink = sink
        self.capacity = max(1, capacity)
        self.logger = logger
    }

    /// Snapshots dropped because the sink fell behind.
    public var droppedCount: Int { condition.withLock { dropped } }

    /// Starts the sink thread (none for a sink that writes inline).
    public func start() {
        guard !sink.writesInline else { return }
        let t = WorkerThread(name: "sink \(sink.name)") { [self] in run() }
        thread = t
        t.start()
    }

    /// Queues a snapshot without blocking; a sink that writes inline writes it now, on the
    /// caller's thread (the gateway publishes one snapshot at a time, so writes never overlap).
    public func offer(_ snapshot: Snapshot) {
        if sink.writesInline {
            let open = condition.withLock { !closing }
            if open { sink.write(snapshot) }
            return
        }
        condition.withLock {
            guard !closing else { return }
            if queue.count >= capacity {
                queue.removeFirst()
                dropped += 1
            }
            queue.append(snapshot)
            condition.signal()
        }
    }

    /// Drains the queue, closes the sink and joins the thread.
    public func stop() {
        let wasClosing = condition.withLock {
            defer { closing = true; condition.broadcast() }
            return closing
        }
        if sink.writesInline {
            if !wasClosing { sink.close() }
            return
        }
        thread?.join()
        thread = nil
    }

    private func run() {
        let window = sink.gatherWindow
        while true {
            let ready: Bool = condition.withLock {
                while queue.isEmpty && !closing { condition.wait() }
                return !queue.isEmpty
            }
            if ready && window > .zero && !condition.withLock({ closing }) {
                MonotonicClock.sleep(ms: Int(window.milliseconds))  // let the next snapshots join this one
            }
            let (batch, dropsToReport): ([Snapshot], Int) = condition.withLock {
                let report = dropped - droppedLogged
                droppedLogged = dropped
                guard !queue.isEmpty else { return ([], report) }
                guard window > .zero else { return ([queue.removeFirst()], report) }
                defer { queue.removeAll(keepingCapacity: true) }
                return (queue, report)
            }
            if dropsToReport > 0 {
                logger.warning("sink \(sink.name) fell behind: dropped \(dropsToReport) snapshot(s) (\(droppedCount) in all)")
            }
            guard !batch.isEmpty else { break }
            if window > .zero { sink.write(batch: batch) } else { sink.write(batch[0]) }
        }
        sink.close()
    }
}
