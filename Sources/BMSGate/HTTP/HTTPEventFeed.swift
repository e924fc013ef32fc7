import Foundation

/// Sends the site to the dashboard's event streams from its own thread, the newest
/// snapshot at most every `gap`: rendering the whole site per reading would cost a large
/// site a core while a dashboard is open, and a browser cannot show 100 updates a second.
/// The thread starts with the first open stream; without one, nothing is rendered.
final class HTTPEventFeed: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: Snapshot?
    private var closing = false
    private var thread: WorkerThread?
    private let gap: Duration
    private let send: @Sendable (Snapshot) -> Void

    /// A feed that calls `send` with the newest snapshot, at most once per `gap`.
    init(gap: Duration = .milliseconds(200), send: @escaping @Sendable (Snapshot) -> Void) {
        self.gap = gap
        self.send = send
    }

    /// Keeps `snapshot` as the next to send (replacing one not sent yet); never blocks.
    func offer(_ snapshot: Snapshot) {
        condition.withLock {
            guard !closing else { return }
            pending = snapshot
            if thread == nil {
                let t = WorkerThread(name: "http events") { [self] in run() }
                thread = t
                t.start()
            }
            condition.signal()
        }
    }

    /// Stops the thread (a snapshot not sent yet is dropped).
    func stop() {
        let t = condition.withLock {
            closing = true
            condition.broadcast()
            return thread
        }
        t?.join()
    }

    private func run() {
        while true {
            let next: Snapshot? = condition.withLock {
                while pending == nil && !closing { condition.wait() }
                defer { pending = nil }
                return closing ? nil : pending
            }
            guard let next else { return }
            send(next)
            MonotonicClock.sleep(ms: Int(gap.milliseconds))
        }
    }
}
