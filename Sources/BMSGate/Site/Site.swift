import Foundation

/// The live state of a site: every pack's last reading, freshness and counters. Bus
/// threads record poll results; the publisher takes snapshots. Thread-safe.
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
    private let clock: () -> UInt64
    private let packLimits: [String: PackLimitsConfig]
    /// Pack id -> index in `packs`, and each bank's member indexes (in bank order): recording
    /// and snapshots cost O(packs), not O(packs x packs).
    private let index: [String: Int]
    private let bankMembers: [[Int]]
    /// Each bank's status as last aggregated, with its packs' (sequence, online) then: a
    /// bank is aggregated again only when one of its packs changed.
    private var bankCache: [(key: [Int], status: BankStatus)?]

    /// A site for `config`; `clock` is monotonic milliseconds (injectable for tests).
    public init(config: SiteConfig, clock: @escaping () -> UInt64 = MonotonicClock.nowMs) {
        self.config = config
        self.clock = clock
        packLimits = Dictionary(config.packs.map { ($0.id, $0.limits) }, uniquingKeysWith: { a, _ in a })
        packs = config.packs.map { pack in
            let bankStale = config.banks.first { $0.packs.contains(pack.id) }?.staleAfter
            return PackState(config: pack, staleAfter: pack.staleAfter ?? bankStale ?? .seconds(10))
        }
        let index = Dictionary(config.packs.enumerated().map { ($0.element.id, $0.offset) }, uniquingKeysWith: { a, _ in a })
        self.index = index
        bankMembers = config.banks.map { bank in bank.packs.compactMap { index[$0] } }
        bankCache = Array(repeating: nil, count: config.banks.count)
    }

    /// Records one poll cycle of `pack`.
    public func record(pack: String, result: Result<Reading, PollFailure>, counters: PackCounters, at time: Date) {
        lock.withLock {
            guard let i = index[pack] else { return }
            switch result {
            case .success(let reading):
                packs[i].reading = reading
                packs[i].lastGood = clock()
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

    /// Wakes waiters (used at shutdown).
    public func poke() {
        lock.withLock {
            changes += 1
            lock.broadcast()
        }
    }

    /// The current state.
    public func snapshot(at time: Date = Date()) -> Snapshot {
        lock.withLock {
            let now = clock()
            let statuses = packs.map { p in
                let fresh = p.lastGood.map { now - $0 <= UInt64(p.staleAfter.milliseconds) } ?? false
                return PackStatus(id: p.config.id, driver: p.config.driver, bus: p.config.bus, address: p.config.address,
                                  online: fresh, reading: p.reading, lastError: p.lastError,
                                  lastPollTime: p.lastPollTime, counters: p.counters, sequence: p.sequence)
            }
            var banks: [BankStatus] = []
            banks.reserveCapacity(config.banks.count)
            for (b, bank) in config.banks.enumerated() {
                let members = bankMembers[b]
                let key = members.map { statuses[$0].sequence &* 2 &+ (statuses[$0].online ? 1 : 0) }
                if let cached = bankCache[b], cached.key == key {
                    banks.append(cached.status)
                    continue
                }
                let status = BankStatus.aggregate(bank, statuses: members.map { statuses[$0] }, packLimits: packLimits)
                bankCache[b] = (key, status)
                banks.append(status)
            }
            return Snapshot(site: config.site, time: time, packs: statuses, banks: banks)
        }
    }
}
