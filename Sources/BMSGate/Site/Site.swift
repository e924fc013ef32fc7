import Foundation

/// The live state of a site: every pack's last reading, freshness and counters. Bus
/// threads `record` poll results; the one publisher (`Gateway`) calls `publish`, which
/// steps the banks' charge controllers and hands the changes since the last publish to
/// the sinks; everyone else reads the last published snapshot with `peek`. Thread-safe.
public final class Site: @unchecked Sendable {
    struct PackState {
        var config: PackConfig
        var staleAfter: Duration
        var reading: Reading?
        var lastGood: UInt64?
        var lastError: String?
        var lastPollTime: Date?
        var counters = PackCounters()
        var sequence = 0
    }

    public let config: SiteConfig
    private let lock = MonotonicCondition()
    private var packs: [PackState]
    private var changes = 0
    /// The site's time (the gateway's clock; a manual one in tests).
    public let clock: any GatewayClock
    /// What the last snapshot held: a snapshot rebuilds only the packs recorded since (or
    /// whose freshness flipped) and the banks holding them.
    private var statuses: [PackStatus]
    private var bankStatuses: [BankStatus]
    private var published: [(sequence: Int, online: Bool)]
    /// Each bank's charge controller (what its inverters are told), in bank order.
    private var controllers: [ChargeController]
    /// Banks to aggregate at the next snapshot whatever their packs did (a remote limit).
    private var forcedBanks = Set<Int>()
    /// Each bank's packs' configured limits, in bank order.
    private let bankPackLimits: [[PackLimitsConfig]]
    /// Each pack's stale_after in ms (Duration arithmetic once, not per snapshot).
    private let staleAfterMs: [UInt64]
    private var generation = 0
    /// The last published snapshot (what `peek` returns).
    private var latest: Snapshot
    /// Pack id -> index in `packs`, each bank's member indexes, each pack's banks: recording
    /// and snapshots cost O(changes), not O(packs x packs). Shared with every snapshot.
    private let layout: SiteLayout

    /// A site for `config` on `clock`, with the charge states kept from a previous run.
    public init(config: SiteConfig, clock: any GatewayClock = SystemClock(), restored: [String: ChargeState] = [:]) {
        self.config = config
        self.clock = clock
        packs = config.packs.map { pack in
            let bankStale = config.banks.first { $0.packs.contains(pack.id) }?.staleAfter
            return PackState(config: pack, staleAfter: pack.staleAfter ?? bankStale ?? .seconds(10))
        }
        staleAfterMs = packs.map { UInt64($0.staleAfter.milliseconds) }
        layout = SiteLayout(packs: config.packs.map(\.id), banks: config.banks.map { ($0.id, $0.packs) })
        bankPackLimits = layout.bankMembers.map { members in members.map { config.packs[$0].limits } }
        statuses = packs.map { p in
            PackStatus(id: p.config.id, driver: p.config.driver, bus: p.config.bus, address: p.config.address,
                       online: false, reading: nil, lastError: nil, lastPollTime: nil, counters: p.counters, sequence: 0)
        }
        let initial = statuses
        let limits = bankPackLimits
        let members = layout.bankMembers
        var controllers = config.banks.map { bank in
            var c = ChargeController(bank: bank)
            if let state = restored[bank.id] { c.restore(state) }
            return c
        }
        bankStatuses = config.banks.indices.map { b in
            BankStatus.aggregate(config.banks[b], statuses: members[b].map { initial[$0] }, limits: limits[b], controller: &controllers[b])
        }
        self.controllers = controllers
        published = Array(repeating: (0, false), count: config.packs.count)
        latest = Snapshot(site: config.site, time: clock.now(), packs: statuses, banks: bankStatuses, generation: 0,
                          changedPacks: [], changedBanks: [], layout: layout)
    }

    /// The last published snapshot (before the first publish: every pack offline, no
    /// reading). Reading it changes nothing.
    public func peek() -> Snapshot { lock.withLock { latest } }

    /// Sets (or, with nil, clears) the remote limit of bank `id`; the bank's command takes it
    /// at the next snapshot. False when there is no such bank.
    public func setRemoteLimit(bank id: String, _ limit: RemoteLimit?) -> Bool {
        let found = lock.withLock { () -> Bool in
            guard let b = config.banks.firstIndex(where: { $0.id == id }) else { return false }
            controllers[b].remote = limit
            forcedBanks.insert(b)
            return true
        }
        if found { onRecord?() }
        return found
    }

    /// Each bank's charge state (what a restart must keep), by bank id.
    public var chargeStates: [String: ChargeState] {
        lock.withLock { Dictionary(uniqueKeysWithValues: zip(config.banks.map(\.id), controllers.map(\.state))) }
    }

    /// The remote limit in force on bank `id`, if any (an expired one is gone at the next snapshot).
    public func remoteLimit(bank id: String) -> RemoteLimit? {
        lock.withLock {
            guard let b = config.banks.firstIndex(where: { $0.id == id }) else { return nil }
            return controllers[b].remote.flatMap { $0.expiresMs > clock.nowMs() ? $0 : nil }
        }
    }

    /// Called on the recording thread after every `record` (outside the site's lock): the
    /// gateway publishes from there, so a reading reaches the sinks without a thread hop.
    /// Set before polling starts.
    public var onRecord: (@Sendable () -> Void)?

    /// Records one poll cycle of `pack`.
    public func record(pack: String, result: Result<Reading, PollFailure>, counters: PackCounters, at time: Date) {
        defer { onRecord?() }
        lock.withLock {
            guard let i = layout.packIndex[pack] else { return }
            switch result {
            case .success(let reading):
                packs[i].reading = reading
                packs[i].lastGood = clock.nowMs()
                packs[i].lastError = nil
            case .failure(let failure):
                packs[i].lastError = failure.message
            }
            packs[i].lastPollTime = time
            packs[i].counters = counters
            packs[i].sequence += 1
            changes += 1
            lock.broadcast()
        }
    }

    /// Waits until something changed since `seen` or `timeout` passed; returns the new change count.
    public func waitForChange(after seen: Int, timeout: Duration) -> Int {
        lock.withLock {
            let until = MonotonicClock.nowMs() + UInt64(max(0, timeout.milliseconds))
            while changes == seen {
                if !lock.wait(untilMs: until) { break }
            }
            return changes
        }
    }

    /// Publishes the current state: a snapshot with what changed since the previous publish
    /// (the packs recorded since or whose data went stale or fresh, and the banks holding
    /// them, whose controllers step now). Everything else is shared with the previous
    /// snapshot, not rebuilt. One caller: the publisher (a second caller would take the
    /// changes from the sinks; read with `peek`).
    public func publish(at wall: Date? = nil) -> Snapshot {
        let time = wall ?? clock.now()
        return lock.withLock {
            let now = clock.nowMs()
            var changed: [Int] = []
            for i in packs.indices {
                // Fields read in place: a whole PackState copy per pack per snapshot adds up.
                let fresh = packs[i].lastGood.map { now - $0 <= staleAfterMs[i] } ?? false
                guard published[i].sequence != packs[i].sequence || published[i].online != fresh else { continue }
                let p = packs[i]
                published[i] = (p.sequence, fresh)
                changed.append(i)
                statuses[i] = PackStatus(id: p.config.id, driver: p.config.driver, bus: p.config.bus, address: p.config.address,
                                         online: fresh, reading: p.reading, lastError: p.lastError,
                                         lastPollTime: p.lastPollTime, counters: p.counters, sequence: p.sequence)
            }
            var touched = Array(repeating: false, count: bankStatuses.count)
            for i in changed { for b in layout.banksOfPack[i] { touched[b] = true } }
            // Banks with a remote limit are stepped every snapshot (it expires by the clock).
            for b in forcedBanks where b < touched.count { touched[b] = true }
            forcedBanks = Set(controllers.indices.filter { controllers[$0].remote != nil })
            var changedBanks: [Int] = []
            for b in touched.indices where touched[b] {
                bankStatuses[b] = BankStatus.aggregate(config.banks[b], statuses: layout.bankMembers[b].map { statuses[$0] }, limits: bankPackLimits[b],
                                                       controller: &controllers[b], nowMs: now, now: time)
                changedBanks.append(b)
            }
            generation += 1
            latest = Snapshot(site: config.site, time: time, packs: statuses, banks: bankStatuses, generation: generation,
                              changedPacks: changed, changedBanks: changedBanks, layout: layout)
            return latest
        }
    }
}
