import CBMSDriver
import Foundation
import Synchronization
import Logging

/// A running site: bus workers polling packs, the site state, and the sinks. Every poll
/// result is published at once from the bus thread that recorded it (a snapshot of what
/// changed, written to the inline sinks and queued for the others, one publication at a
/// time); a publisher thread publishes once a second as well, so freshness is
/// re-evaluated when nothing is recorded.
public final class Gateway: @unchecked Sendable {
    public let config: SiteConfig
    public let site: Site
    /// Where each bank's charge state is kept (`state_dir:`), if anywhere.
    let chargeStore: ChargeStateStore?
    /// Each bank's phase as last published (under `publishLock`), to log every change once.
    private var publishedPhases: [String: ChargePhase] = [:]
    public let catalog: DriverCatalog
    private var workers: [BusWorker] = []
    private var sinks: [SinkRunner] = []
    /// What the HTTP API and pushes see of this gateway.
    public let access = GatewayAccess()
    private let logger: Logger
    private var publisher: WorkerThread?
    private let stopLock = NSCondition()
    private var stopping = false
    /// One publication at a time (bus threads and the publisher): snapshots reach the sinks
    /// in order and an inline sink is never written by two threads at once.
    private let publishLock = NSLock()
    /// A publication is wanted (set by whoever records; cleared by the publishing thread).
    private let requestLock = NSLock()
    private var requested = false

    /// Checks that every pack's driver is loaded and can run on its bus.
    public static func validate(_ given: SiteConfig, catalog: DriverCatalog) throws(ConfigError) {
        let config = applyingDriverDefaults(given, catalog: catalog)
        var issues: [ConfigIssue] = []
        for pack in config.packs {
            guard let driver = catalog.driver(pack.driver) else {
                let known = catalog.drivers.map(\.id).joined(separator: ", ")
                issues.append(ConfigIssue(pack.driverLocation, "unknown driver '\(pack.driver)' for pack '\(pack.id)' (loaded: \(known.isEmpty ? "none" : known); see `bmsgate drivers`)"))
                continue
            }
            guard let bus = config.buses.first(where: { $0.id == pack.bus }) else { continue }
            if let problem = Self.problem(driver: driver, pack: pack, bus: bus) { issues.append(ConfigIssue(pack.location, problem)) }
        }
        issues += PackOptionValidation.issues(config, catalog: catalog)
        if !issues.isEmpty {
            throw ConfigError(issues.sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) })
        }
    }

    /// Why `driver` cannot serve `pack` on `bus`, or nil.
    static func problem(driver: LoadedDriver, pack: PackConfig, bus: BusConfig) -> String? {
        let supports = "(it supports: \(driver.transportNames.joined(separator: ", ")))"
        let t = bus.settings.transport
        if bus.settings.simulated && !driver.hasEmulator {
            return "driver '\(driver.id)' has no emulator, so pack '\(pack.id)' cannot sit on sim bus '\(bus.id)'"
        }
        switch t {
        case BMS_TRANSPORT_I2C.rawValue where driver.transports & t == 0:
            return "driver '\(driver.id)' does not support I2C, so pack '\(pack.id)' cannot sit on I2C bus '\(bus.id)' \(supports)"
        case BMS_TRANSPORT_BLE.rawValue where driver.bleUUIDs == nil:
            return "driver '\(driver.id)' does not support BLE, so pack '\(pack.id)' cannot sit on BLE bus '\(bus.id)' \(supports)"
        case BMS_TRANSPORT_SERIAL.rawValue where bus.settings.simulated
                && driver.transports & (BMS_TRANSPORT_SERIAL.rawValue | BMS_TRANSPORT_TCP.rawValue) == 0:
            return "driver '\(driver.id)' does not speak over a serial line, so pack '\(pack.id)' cannot share sim bus '\(bus.id)' with serial packs \(supports): give it a sim bus of its own (its transport then follows the driver) or set transport:"
        case BMS_TRANSPORT_SERIAL.rawValue where !bus.settings.simulated && driver.transports & t == 0,
             BMS_TRANSPORT_TCP.rawValue where driver.transports & (t | BMS_TRANSPORT_SERIAL.rawValue) == 0:
            return "driver '\(driver.id)' cannot run on bus '\(bus.id)' \(supports)"
        default:
            return nil
        }
    }

    /// Builds (but does not start) a gateway. Throws when the config does not fit the drivers.
    /// A pack whose site file sets no `timeout` on a serial, TCP or simulated line takes
    /// its driver's (`serial_defaults` timeout_ms), e.g. the REC instruction set's.
    public static func applyingDriverDefaults(_ config: SiteConfig, catalog: DriverCatalog) -> SiteConfig {
        var config = config
        // A sim bus without `transport:` takes the one its drivers share when it is not serial.
        for i in config.buses.indices {
            guard var sim = config.buses[i].settings as? SimBusSettings, !sim.linkExplicit else { continue }
            let drivers = config.packs.filter { $0.bus == config.buses[i].id }.compactMap { catalog.driver($0.driver) }
            guard !drivers.isEmpty else { continue }
            let shared = drivers.map(\.transports).reduce(UInt32.max) { $0 & $1 }
            if shared & BMS_TRANSPORT_SERIAL.rawValue == 0 {
                if shared & BMS_TRANSPORT_I2C.rawValue != 0 { sim.link = .i2c }
                else if shared & BMS_TRANSPORT_BLE.rawValue != 0 { sim.link = .ble }
                config.buses[i].settings = sim
            }
        }
        for i in config.packs.indices where !config.packs[i].timeoutSet {
            guard let bus = config.buses.first(where: { $0.id == config.packs[i].bus }), !bus.isBLE, !bus.isI2C,
                  let ms = catalog.driver(config.packs[i].driver)?.serialDefaults.timeoutMs else { continue }
            config.packs[i].timeout = .milliseconds(ms)
        }
        return config
    }

    public init(config given: SiteConfig, catalog: DriverCatalog, logger: Logger, sinkOverride: [Sink]? = nil,
                clock: any GatewayClock = SystemClock()) throws {
        try Self.validate(given, catalog: catalog)
        let config = Self.applyingDriverDefaults(given, catalog: catalog)
        self.config = config
        self.catalog = catalog
        self.logger = logger
        chargeStore = config.stateDir.map { ChargeStateStore(directory: $0, logger: logger) }
        var restored: [String: ChargeState] = [:]
        for bank in config.banks { if let state = chargeStore?.load(bank: bank.id) { restored[bank.id] = state } }
        self.site = Site(config: config, clock: clock, restored: restored)
        // Room for every listener's connection cap plus the reserve (checked against the
        // hard limit at load): a flood on one listener never takes another's descriptors.
        let limit = DescriptorBudget.raise(toAtLeast: DescriptorBudget.needed(buses: config.buses.count, sinks: config.sinks.map(\.settings)))
        logger.debug("open-file limit \(limit)")
        for bus in config.buses {
            let packs = config.packs.filter { $0.bus == bus.id }.map { ($0, catalog.driver($0.driver)!) }
            guard !packs.isEmpty else { continue }
            var busLogger = logger
            busLogger[metadataKey: "bus"] = "\(bus.id)"
            for group in try bus.settings.makeTransports(bus, packs: packs, logger: busLogger) {
                workers.append(BusWorker(bus: bus, transport: group.transport, transportKind: group.kind, packs: group.packs,
                                         site: site, emulatorServer: group.emulatorServer, logger: busLogger))
            }
        }
        var sinkObjects: [(Sink, Int)] = sinkOverride.map { $0.map { ($0, 64) } } ?? []
        if sinkOverride == nil {
            let context = SinkContext(config: config, site: site, access: access, catalog: catalog, logger: logger, clock: clock)
            for s in config.sinks {
                guard let registration = SinkRegistry.registration(s.typeName) else { continue }
                do {
                    sinkObjects.append((try registration.make(s.settings, context), s.queue))
                } catch {
                    sinkObjects.forEach { $0.0.close() }
                    throw ConfigError([ConfigIssue(s.location, "\(s.typeName) sink: \(error)")])
                }
            }
        }
        sinks = sinkObjects.map { SinkRunner(sink: $0.0, capacity: $0.1, logger: logger) }
        access.connect(command: { [weak self] pack, request, timeout in
            await self?.command(pack: pack, request: request, timeout: timeout) ?? .failure(PollFailure(.io, "the gateway stopped"))
        }, sinks: { [weak self] in self?.sinkHealth ?? [] })
        access.site = site
        access.update(site.peek())
    }

    /// Starts sinks, the publisher and every bus.
    public func start() {
        sinks.forEach { $0.start() }
        site.onRecord = { [weak self] in self?.publishNow() }
        let t = WorkerThread(name: "publisher") { [self] in publish() }
        publisher = t
        t.start()
        workers.forEach { $0.start() }
        logger.info("site '\(config.site)': \(config.packs.count) pack(s) on \(workers.count) bus(es), \(sinks.count) sink(s)")
    }

    /// Stops buses, publishes the final state, drains and closes every sink (files flushed).
    public func stop() {
        let first = stopLock.withLock { () -> Bool in
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        workers.forEach { $0.stop() }
        stopLock.withLock { stopLock.broadcast() }
        publisher?.join()
        site.onRecord = nil
        publishLock.withLock {
            let final = site.publish()
            sinks.forEach { $0.offer(final) }
        }
        stopSinks(within: Self.sinkStopBound)
        chargeStore?.flush()
        logger.info("stopped")
    }

    /// How long shutdown waits for the sinks, all together: a sink still writing after it
    /// (a hung network file system, a peer that stopped reading) is left behind and named.
    public static let sinkStopBound: Duration = .seconds(4)

    /// Stops every sink at once (each drains, writes its last word: CAN's final 0 A set, the
    /// MQTT offline message) and waits for them together at most `bound`, so one stuck sink
    /// neither delays the others' last words nor holds the process.
    private func stopSinks(within bound: Duration) {
        let group = DispatchGroup()
        let pending = Mutex(Set(sinks.map(\.sink.name)))
        for runner in sinks {
            group.enter()
            WorkerThread.detach(name: "stop sink") {
                runner.stop()
                pending.withLock { _ = $0.remove(runner.sink.name) }
                group.leave()
            }
        }
        if group.wait(timeout: .now() + .milliseconds(Int(bound.milliseconds))) == .timedOut {
            let stuck = pending.withLock { $0.sorted() }
            logger.warning("shutdown: \(stuck.count) sink(s) did not finish within \(bound.milliseconds / 1000) s and were left behind: \(stuck.joined(separator: ", "))")
        }
    }

    private var isStopping: Bool { stopLock.withLock { stopping } }

    /// The publisher thread: a publication every second whatever is recorded (packs whose
    /// data went stale must be published as such even when no poll result arrives).
    private func publish() {
        while true {
            let stop = stopLock.withLock { () -> Bool in
                if !stopping { _ = stopLock.wait(until: Date().addingTimeInterval(1)) }
                return stopping
            }
            if stop { break }
            publishNow()
        }
    }

    /// Publishes the site as it is now (skipped once the gateway is stopping: the final
    /// publication is `stop`'s). A thread that finds another one publishing leaves its
    /// request and goes back to polling: the publishing thread takes one more snapshot
    /// for it, so records arriving together are published together and no bus thread
    /// waits for another's sinks.
    private func publishNow() {
        requestLock.withLock { requested = true }
        while publishLock.try() {
            while requestLock.withLock({ defer { requested = false }; return requested }) {
                guard !isStopping else { break }
                let snapshot = site.publish()
                // Queued sinks first (their threads start at once), then the inline ones here.
                for sink in sinks where !sink.sink.writesInline { sink.offer(snapshot) }
                for sink in sinks where sink.sink.writesInline { sink.offer(snapshot) }
                logPhaseChanges(snapshot)
                if let store = chargeStore {
                    for bank in snapshot.banks {
                        let c = bank.command
                        guard c.phase != .stopped else { continue }
                        // The gateway's SoC is kept to 0.1 %: a write per change of that, not per reading.
                        store.save(bank: bank.id, ChargeState(phase: c.phase, phaseSince: c.phaseInfo.since, lastFullCharge: c.phaseInfo.lastFullCharge,
                                                              gatewaySoc: c.gatewaySoc.map { ($0 * 10).rounded() / 10 }))
                    }
                }
            }
            publishLock.unlock()
            // A request left between the last check and the unlock: take it (or the
            // thread that holds the lock now does).
            guard requestLock.withLock({ requested }) else { return }
        }
    }

    /// Logs each bank's phase change once (the publisher holds `publishLock`).
    private func logPhaseChanges(_ snapshot: Snapshot) {
        for bank in snapshot.banks {
            let phase = bank.command.phase
            guard let was = publishedPhases.updateValue(phase, forKey: bank.id), was != phase else { continue }
            logger.info("bank \(bank.id): \(was.rawValue) -> \(phase.rawValue) (\(bank.command.phaseInfo.reason))")
        }
    }

    /// Runs a vendor command (JSON) on `pack`'s driver, serialized with the polls of its
    /// bus; the answer is the driver's JSON. Writes need `allow_writes: true` on the pack.
    public func command(pack: String, request: String, timeout: Duration = .seconds(30)) -> Result<String, PollFailure> {
        guard let worker = workers.first(where: { $0.serves(pack) }) else {
            return .failure(PollFailure(.config, "no pack '\(pack)' is polled (packs: \(config.packs.map(\.id).joined(separator: ", ")))"))
        }
        return worker.command(pack: pack, request: request, timeout: timeout)
    }

    /// The same for async callers (the HTTP API): no thread waits; a caller that goes away
    /// before the command started means it never runs.
    public func command(pack: String, request: String, timeout: Duration = .seconds(30)) async -> Result<String, PollFailure> {
        guard let worker = workers.first(where: { $0.serves(pack) }) else {
            return .failure(PollFailure(.config, "no pack '\(pack)' is polled (packs: \(config.packs.map(\.id).joined(separator: ", ")))"))
        }
        return await worker.command(pack: pack, request: request, timeout: timeout)
    }

    /// Sends a control command to the emulators of sim bus `bus` (nil when it has none).
    public func emulatorControl(bus: String, _ command: String) -> String? {
        workers.first { $0.bus.id == bus && $0.emulatorServer != nil }?.emulatorServer?.control(command)
    }

    /// Bytes that crossed each simulated line (received by the emulators, sent by them).
    public var emulatorTraffic: [String: (received: Int, sent: Int)] {
        var out: [String: (Int, Int)] = [:]
        for w in workers { if let s = w.emulatorServer { out[w.bus.id] = s.traffic } }
        return out
    }

    /// Dropped snapshots per sink name.
    public var sinkHealth: [SinkHealth] {
        sinks.map { SinkHealth(name: $0.sink.name, droppedSnapshots: $0.droppedCount, counters: $0.sink.counters, status: $0.sink.status) }
    }
}
