import CBMSDriver
import Foundation
import Logging

/// One bus: its transport and its packs, polled on a thread of its own so transactions on
/// the line are serialized while different buses poll concurrently. Per pack: poll interval,
/// retries, probes of a pack that stopped answering (see `pollCycle`), reopen of a transport
/// that failed.
public final class BusWorker: @unchecked Sendable {
    final class PackRunner {
        let session: DriverSession
        var counters = PackCounters()
        var consecutiveFailures = 0
        var nextDue: UInt64 = 0
        var pack: PackConfig { session.pack }
        init(session: DriverSession) { self.session = session }
    }

    public let bus: BusConfig
    private let transport: ByteTransport
    private let runners: [PackRunner]
    private let site: Site
    private let logger: Logger
    private let wake = MonotonicCondition()
    private var stopped = false
    private var thread: WorkerThread?
    private var transportDownSince: UInt64?
    /// Vendor commands waiting for the bus thread, oldest first (at most `commandQueueLimit`).
    private var commands: [PendingCommand] = []
    /// True when the last thing the bus thread did was a command: a due poll goes next.
    private var lastRanCommand = false
    /// When the current round began: the first poll after the bus thread last slept. The
    /// packs polled back to back in a round are due again together, an interval after it.
    private var roundStart: UInt64 = 0
    /// Set when the bus thread waits: the next poll begins a round.
    private var sleptSinceLastPoll = true
    /// Commands that may wait for one bus; more are answered "busy" (HTTP 503).
    public static let commandQueueLimit = 16

    /// The emulator server of a sim bus (kept alive with the worker).
    let emulatorServer: EmulatorServer?

    /// A worker polling `packs` (each with its driver) over `transport` and recording into `site`.
    public init(bus: BusConfig, transport: ByteTransport, transportKind: UInt32, packs: [(PackConfig, LoadedDriver)],
         site: Site, emulatorServer: EmulatorServer?, logger: Logger) {
        self.bus = bus
        self.transport = transport
        self.site = site
        self.logger = logger
        self.emulatorServer = emulatorServer
        self.runners = packs.map { pack, driver in
            var packLogger = logger
            packLogger[metadataKey: "pack"] = "\(pack.id)"
            return PackRunner(session: DriverSession(driver: driver, pack: pack, bus: bus, transport: transport,
                                                     transportKind: transportKind, logger: packLogger))
        }
    }

    /// Starts polling.
    public func start() {
        emulatorServer?.start()
        let t = WorkerThread(name: "bus \(bus.id)") { [self] in run() }
        thread = t
        t.start()
    }

    /// True when `pack` is polled by this worker.
    public func serves(_ pack: String) -> Bool { runners.contains { $0.pack.id == pack } }

    /// Queues a vendor command for `pack` on the bus thread. `completion` is called exactly
    /// once: with the answer, with "busy" at once when `commandQueueLimit` commands already
    /// wait, or with a failure when the bus stops. The returned handle abandons the command
    /// if it has not started yet (the caller timed out or went away): it then never runs.
    @discardableResult
    public func submit(pack: String, request: String,
                       completion: @escaping (Result<String, PollFailure>) -> Void) -> PendingCommand {
        let pending = PendingCommand(pack: pack, request: request, completion: completion)
        let refusal: PollFailure? = wake.withLock {
            guard !stopped else { return PollFailure(.io, "bus \(bus.id) is stopped") }
            commands.removeAll { !$0.isQueued }
            guard commands.count < Self.commandQueueLimit else {
                return PollFailure(.busy, "bus \(bus.id) is busy: \(commands.count) commands are waiting; try again later")
            }
            commands.append(pending)
            wake.broadcast()
            return nil
        }
        if let refusal { pending.finish(.failure(refusal)) }
        return pending
    }

    /// Runs a vendor command for `pack` on the bus thread (see `submit`), waiting up to
    /// `timeout` for it to start; a command that started is waited for until it ends.
    public func command(pack: String, request: String, timeout: Duration) -> Result<String, PollFailure> {
        let box = Locked<Result<String, PollFailure>?>(nil), done = DispatchSemaphore(value: 0)
        let pending = submit(pack: pack, request: request) { result in
            box.set(result)
            done.signal()
        }
        if done.wait(timeout: .now() + .milliseconds(Int(timeout.milliseconds))) == .timedOut {
            pending.abandon(PollFailure(.timeout, "the command did not start within \(timeout.milliseconds) ms (bus \(bus.id) busy); it will not run"))
            done.wait()
        }
        return box.value ?? .failure(PollFailure(.io, "no answer"))
    }

    /// The same without holding a thread while it waits (the HTTP API): the caller's task
    /// being cancelled (client gone) abandons a command that has not started.
    public func command(pack: String, request: String, timeout: Duration) async -> Result<String, PollFailure> {
        final class Handle: @unchecked Sendable {
            let lock = NSLock()
            var pending: PendingCommand?
            var cancelled = false
        }
        let handle = Handle()
        let reason = PollFailure(.timeout, "the command did not start within \(timeout.milliseconds) ms (bus \(bus.id) busy); it will not run")
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<String, PollFailure>, Never>) in
                let pending = submit(pack: pack, request: request) { continuation.resume(returning: $0) }
                let cancelled = handle.lock.withLock { () -> Bool in
                    handle.pending = pending
                    return handle.cancelled
                }
                if cancelled { pending.abandon(PollFailure(.timeout, "the caller went away; the command will not run")) }
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.milliseconds))) {
                    pending.abandon(reason)
                }
            }
        } onCancel: {
            let pending = handle.lock.withLock { () -> PendingCommand? in
                handle.cancelled = true
                return handle.pending
            }
            pending?.abandon(PollFailure(.timeout, "the caller went away; the command will not run"))
        }
    }

    /// Stops polling, closes drivers and the transport.
    public func stop() {
        wake.withLock {
            stopped = true
            wake.broadcast()
        }
        thread?.join()
        thread = nil
        emulatorServer?.stop()
    }

    /// What the bus thread does next.
    private enum Step {
        case poll(PackRunner), command(PendingCommand), stop
    }

    /// The next step: a due poll, or a queued command. Commands use the time between polls;
    /// when a poll is due and the last step was a command, the poll goes first, so a flood
    /// of commands delays a poll by at most one command and polls keep their rate.
    private func nextStep() -> Step {
        wake.withLock {
            while !stopped {
                guard let runner = runners.min(by: { $0.nextDue < $1.nextDue }) else { return .stop }
                commands.removeAll { !$0.isQueued }
                let now = MonotonicClock.nowMs()
                let due = now + Self.earlySlack(runner) >= runner.nextDue
                if !commands.isEmpty && !(due && lastRanCommand) {
                    lastRanCommand = true
                    return .command(commands.removeFirst())
                }
                if due {
                    lastRanCommand = false
                    if sleptSinceLastPoll { roundStart = now }
                    sleptSinceLastPoll = false
                    return .poll(runner)
                }
                sleptSinceLastPoll = true
                wake.wait(untilMs: runner.nextDue)
            }
            return .stop
        }
    }

    /// How early a poll may run: a pack due within this long (a tenth of its interval, at
    /// most 100 ms) joins the round running now instead of costing another wake-up (the
    /// thread never sleeps to wake early: only a pack that follows another runs early).
    static func earlySlack(_ r: PackRunner) -> UInt64 {
        min(UInt64(max(0, r.pack.pollInterval.milliseconds)) / 10, 100)
    }

    /// When a pack polled at `started` in the round begun at `roundStart` is due again: an
    /// interval after the round began, so the packs of a line are polled in rounds, back to
    /// back, one wake-up per round instead of one per pack. A line too slow for its packs'
    /// interval (a round running past half an interval) keeps each pack's own rhythm, so
    /// every pack still gets its turn.
    static func nextDue(started: UInt64, roundStart: UInt64, interval: UInt64) -> UInt64 {
        started - min(started, roundStart) <= interval / 2 ? roundStart + interval : started + interval
    }

    private func run() {
        // Every pack is due at once: the first round polls them in order, back to back.
        let start = MonotonicClock.nowMs()
        for r in runners { r.nextDue = start }
        loop: while true {
            switch nextStep() {
            case .poll(let runner): pollCycle(runner)
            case .command(let c): if c.start() { runCommand(c) }
            case .stop: break loop
            }
        }
        let left = wake.withLock { () -> [PendingCommand] in
            defer { commands.removeAll() }
            return commands
        }
        left.forEach { $0.finish(.failure(PollFailure(.io, "bus \(bus.id) stopped before the command ran"))) }
        for r in runners { r.session.close() }
        transport.close()
    }

    private func runCommand(_ c: PendingCommand) {
        guard let runner = runners.first(where: { $0.pack.id == c.pack }) else {
            c.finish(.failure(PollFailure(.config, "pack \(c.pack) is not on bus \(bus.id)")))
            return
        }
        if !transport.isOpen {
            do {
                try transport.open()
            } catch {
                c.finish(.failure(PollFailure(.io, error.message)))
                return
            }
        }
        let started = MonotonicClock.nowMs()
        let result = runner.session.command(c.request)
        let ms = MonotonicClock.nowMs() - started
        // The command's name and outcome only: requests and answers may hold keys.
        switch result {
        case .success: logger.info("pack \(c.pack): command \(c.name) ok (\(ms) ms)")
        case .failure(let f): logger.warning("pack \(c.pack): command \(c.name) \(f.kind == .forbidden ? "refused" : "failed"): \(Redaction.redact(f.message))")
        }
        c.finish(result)
    }

    /// How soon a probe of a silent pack must hear the first byte of an answer.
    static let probeWindowMs: UInt64 = 250

    /// One poll cycle of a pack: open the transport if needed, poll with retries, record.
    ///
    /// A pack that stopped answering is probed instead of polled: one attempt, no retries,
    /// and the answer must start within `probeWindowMs` (or the pack's timeout, if shorter),
    /// with 12 probe windows between probes. So a dead pack takes under 10 % of its line's
    /// time (about 8 %), and a pack that answers again is seen within about 3.5 s, not after
    /// a long backoff. A transport that cannot be opened is retried after 12 times what the
    /// failed open took. `max_backoff` caps the spacing.
    private func pollCycle(_ r: PackRunner) {
        let started = MonotonicClock.nowMs()
        r.counters.polls += 1
        var result: Result<Reading, PollFailure> = .failure(PollFailure(.io, "not polled"))
        let probeMs = r.consecutiveFailures > 0 ? min(Self.probeWindowMs, UInt64(max(1, r.pack.timeout.milliseconds))) : 0
        var openFailed = false
        for attempt in 0...(probeMs > 0 ? 0 : r.pack.retries) {
            if !transport.isOpen {
                do {
                    try transport.open()
                    if transportDownSince != nil {
                        r.counters.reopens += 1
                        logger.info("\(transport.endpoint) is back")
                    }
                    transportDownSince = nil
                } catch {
                    if transportDownSince == nil {
                        transportDownSince = started
                        logger.error("bus \(bus.id): \(error.message)")
                    }
                    result = .failure(PollFailure(.io, error.message))
                    r.counters.errors += 1
                    openFailed = true
                    break
                }
            }
            result = r.session.poll(probeMs: probeMs)  // stamped with the wall time of the answer
            guard case .failure(let failure) = result else { break }
            switch failure.kind {
            case .timeout: r.counters.timeouts += 1
            case .checksum: r.counters.checksumErrors += 1
            default: r.counters.errors += 1
            }
            if failure.kind == .io, transportDownSince == nil {
                transportDownSince = started
                logger.warning("bus \(bus.id): \(failure.message); reopening")
            }
            if failure.kind == .config || failure.kind == .unsupported { break }
            if attempt < r.pack.retries { transport.discardInput() }
        }
        let interval = UInt64(r.pack.pollInterval.milliseconds)
        switch result {
        case .success:
            r.counters.ok += 1
            if r.consecutiveFailures > 0 { logger.info("pack \(r.pack.id) answers again") }
            r.consecutiveFailures = 0
            r.nextDue = Self.nextDue(started: started, roundStart: roundStart, interval: interval)
        case .failure(let failure):
            r.consecutiveFailures += 1
            if r.consecutiveFailures == 1 || r.consecutiveFailures % 20 == 0 {
                logger.warning("pack \(r.pack.id): \(failure.message) (\(r.consecutiveFailures) failed polls in a row)")
            }
            let now = MonotonicClock.nowMs()
            let nextCost = openFailed ? now - started : min(Self.probeWindowMs, UInt64(max(1, r.pack.timeout.milliseconds)))
            let cap = UInt64(max(r.pack.maxBackoff.milliseconds, Int64(interval)))
            r.nextDue = now + min(max(interval, 12 * nextCost), cap)
        }
        r.counters.lastPollSeconds = Double(MonotonicClock.nowMs() - started) / 1000
        site.record(pack: r.pack.id, result: result, counters: r.counters, at: Date())
    }
}
