import CBMSDriver
import Foundation
import Logging

/// One bus: its transport and its packs, polled on a thread of its own so transactions on
/// the line are serialized while different buses poll concurrently. Per pack: poll interval,
/// retries, doubling backoff after failures (capped), reopen of a transport that failed.
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
    private let wake = NSCondition()
    private var stopped = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    private var transportDownSince: UInt64?
    /// Vendor commands waiting for the bus thread (run between polls, in order).
    private var commands: [PendingCommand] = []

    final class PendingCommand: @unchecked Sendable {
        let pack: String
        let request: String
        var result: Result<String, PollFailure> = .failure(PollFailure(.io, "the bus stopped before the command ran"))
        let done = DispatchSemaphore(value: 0)
        init(pack: String, request: String) {
            self.pack = pack
            self.request = request
        }
    }
    /// The emulator server of a sim bus (kept alive with the worker).
    let emulatorServer: EmulatorServer?

    init(bus: BusConfig, transport: ByteTransport, transportKind: UInt32, packs: [(PackConfig, LoadedDriver)],
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
        let t = Thread { [self] in run() }
        t.name = "bus \(bus.id)"
        thread = t
        t.start()
    }

    /// True when `pack` is polled by this worker.
    public func serves(_ pack: String) -> Bool { runners.contains { $0.pack.id == pack } }

    /// Runs a vendor command for `pack` on the bus thread, between polls, so it never
    /// interleaves with another transaction on the line. Waits up to `timeout`.
    public func command(pack: String, request: String, timeout: Duration) -> Result<String, PollFailure> {
        let pending = PendingCommand(pack: pack, request: request)
        let accepted = wake.withLock { () -> Bool in
            guard !stopped else { return false }
            commands.append(pending)
            wake.broadcast()
            return true
        }
        guard accepted else { return .failure(PollFailure(.io, "bus \(bus.id) is stopped")) }
        guard pending.done.wait(timeout: .now() + .milliseconds(Int(timeout.milliseconds))) == .success else {
            return .failure(PollFailure(.timeout, "no answer from the bus thread within \(timeout.milliseconds) ms"))
        }
        return pending.result
    }

    /// Stops polling, closes drivers and the transport.
    public func stop() {
        wake.withLock {
            stopped = true
            wake.broadcast()
        }
        if thread != nil { finished.wait() }
        thread = nil
        emulatorServer?.stop()
    }

    private func run() {
        defer { finished.signal() }
        let start = MonotonicClock.nowMs()
        for (i, r) in runners.enumerated() { r.nextDue = start + UInt64(i * 20) }
        while true {
            guard let runner = runners.min(by: { $0.nextDue < $1.nextDue }) else { break }
            let (shouldStop, queued): (Bool, [PendingCommand]) = wake.withLock {
                while !stopped && commands.isEmpty {
                    let now = MonotonicClock.nowMs()
                    if now >= runner.nextDue { break }
                    _ = wake.wait(until: Date().addingTimeInterval(Double(runner.nextDue - now) / 1000))
                }
                defer { commands.removeAll() }
                return (stopped, commands)
            }
            if shouldStop {
                queued.forEach { $0.done.signal() }
                break
            }
            if !queued.isEmpty {
                queued.forEach(runCommand)
                continue
            }
            pollCycle(runner)
        }
        let left = wake.withLock { () -> [PendingCommand] in
            defer { commands.removeAll() }
            return commands
        }
        left.forEach { $0.done.signal() }
        for r in runners { r.session.close() }
        transport.close()
    }

    private func runCommand(_ c: PendingCommand) {
        defer { c.done.signal() }
        guard let runner = runners.first(where: { $0.pack.id == c.pack }) else {
            c.result = .failure(PollFailure(.config, "pack \(c.pack) is not on bus \(bus.id)"))
            return
        }
        if !transport.isOpen {
            do {
                try transport.open()
            } catch {
                c.result = .failure(PollFailure(.io, error.message))
                return
            }
        }
        logger.info("pack \(c.pack): command \(c.request)")
        c.result = runner.session.command(c.request)
        switch c.result {
        case .success(let answer): logger.info("pack \(c.pack): command answered \(answer.prefix(500))")
        case .failure(let f): logger.warning("pack \(c.pack): command refused or failed: \(f.message)")
        }
    }

    /// One poll cycle of a pack: open the transport if needed, poll with retries, record.
    private func pollCycle(_ r: PackRunner) {
        let started = MonotonicClock.nowMs()
        r.counters.polls += 1
        var result: Result<Reading, PollFailure> = .failure(PollFailure(.io, "not polled"))
        for attempt in 0...r.pack.retries {
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
                    break
                }
            }
            result = r.session.poll(at: Date())
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
            r.nextDue = started + interval
        case .failure(let failure):
            r.consecutiveFailures += 1
            if r.consecutiveFailures == 1 || r.consecutiveFailures % 20 == 0 {
                logger.warning("pack \(r.pack.id): \(failure.message) (\(r.consecutiveFailures) failed polls in a row)")
            }
            let cap = UInt64(max(r.pack.maxBackoff.milliseconds, Int64(interval)))
            let factor = UInt64(1) << UInt64(min(r.consecutiveFailures - 1, 16))
            r.nextDue = started + min(interval * factor, cap)
        }
        r.counters.lastPollSeconds = Double(MonotonicClock.nowMs() - started) / 1000
        site.record(pack: r.pack.id, result: result, counters: r.counters, at: Date())
    }
}
