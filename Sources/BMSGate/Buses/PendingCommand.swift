import Foundation

/// One vendor command waiting for its bus thread. It runs at most once, and never after its
/// caller gave up: `abandon()` (caller timed out or went away) wins over `start()` when it
/// comes first, and a started command always finishes and answers its caller.
public final class PendingCommand: @unchecked Sendable {
    /// Where a command is in its life.
    enum State { case queued, running, finished, abandoned }

    /// The pack whose driver runs it.
    public let pack: String
    /// The JSON request (never logged).
    let request: String
    /// The request's "op", for logs.
    public let name: String
    private let lock = NSLock()
    private var state = State.queued
    private var completion: ((Result<String, PollFailure>) -> Void)?

    /// A command for `pack`; `completion` is called exactly once, on the thread that ends it.
    init(pack: String, request: String, completion: @escaping (Result<String, PollFailure>) -> Void) {
        self.pack = pack
        self.request = request
        self.name = Redaction.operationName(of: request)
        self.completion = completion
    }

    /// Called by the bus thread: true when the command may run now (it was still wanted).
    func start() -> Bool {
        lock.withLock {
            guard state == .queued else { return false }
            state = .running
            return true
        }
    }

    /// Called by the bus thread with the outcome of a started command (or a refusal).
    func finish(_ result: Result<String, PollFailure>) {
        let done: ((Result<String, PollFailure>) -> Void)? = lock.withLock {
            guard state == .running || state == .queued else { return nil }
            state = .finished
            defer { completion = nil }
            return completion
        }
        done?(result)
    }

    /// The caller gave up. A queued command is dropped and answered with `reason`; a running
    /// one cannot be taken back and answers when it ends. Returns true when it was dropped.
    @discardableResult
    public func abandon(_ reason: PollFailure) -> Bool {
        let done: ((Result<String, PollFailure>) -> Void)? = lock.withLock {
            guard state == .queued else { return nil }
            state = .abandoned
            defer { completion = nil }
            return completion
        }
        done?(.failure(reason))
        return done != nil
    }

    /// True while it waits in the queue.
    var isQueued: Bool { lock.withLock { state == .queued } }
}
