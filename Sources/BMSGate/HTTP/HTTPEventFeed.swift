import Foundation

/// Sends the site to the dashboard's event streams from its own thread, the newest
/// snapshot at most every `gap`: rendering the whole site per reading would cost a large
/// site a core while a dashboard is open, and a browser cannot show 100 updates a second.
/// The thread starts with the first open stream; without one, nothing is rendered.
final class HTTPEventFeed: @unchecked Sendable {
    private let mailbox = Mailbox<Snapshot>(capacity: 1)
    private let lock = NSLock()
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
        guard mailbox.post(snapshot) else { return }
        lock.withLock {
            guard thread == nil else { return }
            let t = WorkerThread(name: "http events") { [self] in run() }
            thread = t
            t.start()
        }
    }

    /// Stops the thread (a snapshot not sent yet is dropped).
    func stop() {
        mailbox.close(discarding: true)
        lock.withLock { thread }?.join()
    }

    private func run() {
        while let next = mailbox.take().last {
            send(next)
            MonotonicClock.sleep(ms: Int(gap.milliseconds))
        }
    }
}
