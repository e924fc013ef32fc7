import Foundation

/// Sends the site to the dashboard's event streams from its own thread, the newest
/// snapshot at most every `gap`: rendering the whole site per reading would cost a large
/// site a core while a dashboard is open, and a browser cannot show 100 updates a second.
/// The thread starts with the first open stream; without one, nothing is rendered.
final class HTTPEventFeed: Sendable {
    private let mailbox = Mailbox<Snapshot>(capacity: 1)
    private let thread = Locked<WorkerThread?>(nil)
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
        let started = thread.update { t -> WorkerThread? in
            guard t == nil else { return nil }
            let new = WorkerThread(name: "http events") { [self] in run() }
            t = new
            return new
        }
        started?.start()
    }

    /// Stops the thread (a snapshot not sent yet is dropped).
    func stop() {
        mailbox.close(discarding: true)
        thread.value?.join()
    }

    private func run() {
        while let next = mailbox.take().last {
            send(next)
            MonotonicClock.sleep(ms: Int(gap.milliseconds))
        }
    }
}
