import Foundation
import Logging
import Synchronization

/// Runs one sink: a sink that writes inline is called on the publisher's thread; any other
/// gets a `Mailbox` of `capacity` snapshots and a thread. `offer` never blocks: when the
/// mailbox is full the oldest snapshot is dropped and counted (the newest state matters most).
public final class SinkRunner: @unchecked Sendable {
    public let sink: Sink
    public let capacity: Int
    private let mailbox: Mailbox<Snapshot>
    private var thread: WorkerThread?
    private let logger: Logger
    private let closed = Mutex(false)

    /// A runner for `sink` with room for `capacity` snapshots.
    public init(sink: Sink, capacity: Int, logger: Logger) {
        self.sink = sink
        self.capacity = max(1, capacity)
        mailbox = Mailbox(capacity: capacity)
        self.logger = logger
    }

    /// Snapshots dropped because the sink fell behind.
    public var droppedCount: Int { mailbox.dropped }

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
            if !closed.withLock({ $0 }) { sink.write(snapshot) }
            return
        }
        mailbox.post(snapshot)
    }

    /// Drains the mailbox, closes the sink and joins the thread.
    public func stop() {
        let wasClosed = closed.withLock { c -> Bool in
            defer { c = true }
            return c
        }
        if sink.writesInline {
            if !wasClosed { sink.close() }
            return
        }
        mailbox.close()
        thread?.join()
        thread = nil
    }

    private func run() {
        let window = sink.gatherWindow
        var droppedLogged = 0
        while true {
            if window > .zero, mailbox.wait(ms: .max), !mailbox.isClosed {
                MonotonicClock.sleep(ms: Int(window.milliseconds))  // let the next snapshots join this one
            }
            let batch = mailbox.take(limit: window > .zero ? .max : 1)
            let dropped = mailbox.dropped
            if dropped > droppedLogged {
                logger.warning("sink \(sink.name) fell behind: dropped \(dropped - droppedLogged) snapshot(s) (\(dropped) in all)")
                droppedLogged = dropped
            }
            guard !batch.isEmpty else { break }
            if window > .zero { sink.write(batch: batch) } else { sink.write(batch[0]) }
        }
        sink.close()
    }
}
