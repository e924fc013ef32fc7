import Foundation
import Synchronization

/// The state of one pack at one moment.
///
/// A value type whose fields live in one shared box until a copy is changed: every
/// snapshot holds the state of every pack, and copying the site's states (a snapshot is
/// made per reading) costs one reference count per pack instead of one per field.
public struct PackStatus: Sendable {
    private final class Storage: @unchecked Sendable {
        var id: String
        var driver: String
        var bus: String
        var address: String
        var online: Bool
        var reading: Reading?
        var lastError: String?
        var lastPollTime: Date?
        var counters: PackCounters
        var sequence: Int
        /// `json` as rendered once, shared by every sink that writes this state (a file
        /// line, an MQTT payload, /api/site); a changed field renders again.
        var rendered = RenderedText()

        init(id: String, driver: String, bus: String, address: String, online: Bool, reading: Reading?, lastError: String?,
             lastPollTime: Date?, counters: PackCounters, sequence: Int) {
            self.id = id
            self.driver = driver
            self.bus = bus
            self.address = address
            self.online = online
            self.reading = reading
            self.lastError = lastError
            self.lastPollTime = lastPollTime
            self.counters = counters
            self.sequence = sequence
        }

        func copy() -> Storage {
            Storage(id: id, driver: driver, bus: bus, address: address, online: online, reading: reading, lastError: lastError,
                    lastPollTime: lastPollTime, counters: counters, sequence: sequence)
        }
    }

    private var storage: Storage

    /// Before a field changes: a box of its own (copied when shared; only the owner of a
    /// unique box mutates it, which is what makes sharing it between threads safe) and no
    /// rendered text.
    private mutating func change() {
        if isKnownUniquelyReferenced(&storage) { storage.rendered = RenderedText() } else { storage = storage.copy() }
    }

    public var id: String {
        get { storage.id }
        set { change(); storage.id = newValue }
    }
    public var driver: String {
        get { storage.driver }
        set { change(); storage.driver = newValue }
    }
    public var bus: String {
        get { storage.bus }
        set { change(); storage.bus = newValue }
    }
    public var address: String {
        get { storage.address }
        set { change(); storage.address = newValue }
    }
    /// Fresh data (last good reading younger than stale_after).
    public var online: Bool {
        get { storage.online }
        set { change(); storage.online = newValue }
    }
    /// The last good reading, if any (may be stale: check `online`).
    public var reading: Reading? {
        get { storage.reading }
        set { change(); storage.reading = newValue }
    }
    /// The reason of the last failed poll, nil when the last poll succeeded.
    public var lastError: String? {
        get { storage.lastError }
        set { change(); storage.lastError = newValue }
    }
    /// When the last poll (good or bad) finished.
    public var lastPollTime: Date? {
        get { storage.lastPollTime }
        set { change(); storage.lastPollTime = newValue }
    }
    public var counters: PackCounters {
        get { storage.counters }
        set { change(); storage.counters = newValue }
    }
    /// Number of poll results so far: a sink writes a pack when this changes.
    public var sequence: Int {
        get { storage.sequence }
        set { change(); storage.sequence = newValue }
    }

    /// A pack state.
    public init(id: String, driver: String, bus: String, address: String, online: Bool, reading: Reading?, lastError: String?,
                lastPollTime: Date?, counters: PackCounters, sequence: Int) {
        storage = Storage(id: id, driver: driver, bus: bus, address: address, online: online, reading: reading,
                          lastError: lastError, lastPollTime: lastPollTime, counters: counters, sequence: sequence)
    }

    /// The text made once for this state.
    fileprivate var rendered: RenderedText { storage.rendered }

    /// The line a JSON sink writes for this pack: the reading when the last poll was good,
    /// otherwise the failure (`online` stays true until the data is stale), with
    /// `reading_time`, the time of the last good reading, when there was one.
    public var json: JSONValue {
        var tree = JSONTreeBuilder()
        emit(to: &tree)
        return tree.result
    }

    /// Produces `json` into `o`.
    public func emit<E: JSONEmitter>(to o: inout E) {
        o.beginObject()
        if lastError == nil, let reading {
            reading.emitMembers(online: online, to: &o)
        } else {
            o.member("pack", id)
            o.member("driver", driver)
            o.member("time", ISOTime.format(lastPollTime ?? Date()))
            o.member("online", online)
            if let lastError { o.member("error", lastError) }
            if let reading { o.member("reading_time", ISOTime.format(reading.time)) }
        }
        o.key("stats")
        counters.emit(to: &o)
        o.endObject()
    }
}

extension PackStatus {
    /// The line a JSON sink writes for this pack (`json`, written directly), made once per
    /// state whatever the number of sinks that write it.
    public var jsonLine: String {
        rendered.value {
            var writer = JSONWriter(capacity: 640 + 40 * (reading?.extras.count ?? 0) + 8 * (reading?.cells.count ?? 0))
            emit(to: &writer)
            return writer.text
        }
    }
}

/// A text made on first use and kept: what several threads would otherwise each render.
/// One small allocation per pack state (the lock lives inside it: a new state is made for
/// every poll result).
final class RenderedText: Sendable {
    private let text = Mutex<String?>(nil)

    func value(_ make: () -> String) -> String {
        text.withLock { text in
            if let text { return text }
            let made = make()
            text = made
            return made
        }
    }
}

/// Everything the sinks see at one moment: immutable, shared by all sinks.
///
/// A snapshot also says what changed since the one before it (`generation` - 1), so a sink
/// that saw that one updates only the changed packs and banks (see `SnapshotCursor`).
public struct Snapshot: Sendable {
    /// Site name.
    public var site: String
    public var time: Date
    /// Packs in config order.
    public var packs: [PackStatus]
    /// Banks in config order.
    public var banks: [BankStatus]
    /// Counts the site's snapshots; 0 for one made by hand (everything counts as changed).
    public var generation: Int
    /// Indexes into `packs` whose poll result or freshness changed since snapshot
    /// `generation` - 1, ascending.
    public var changedPacks: [Int]
    /// Indexes into `banks` whose status changed since snapshot `generation` - 1, ascending.
    public var changedBanks: [Int]
    /// Where each pack and bank is (built once per site, shared by its snapshots).
    public var layout: SiteLayout

    /// A snapshot in which everything counts as changed.
    public init(site: String, time: Date, packs: [PackStatus], banks: [BankStatus]) {
        self.init(site: site, time: time, packs: packs, banks: banks, generation: 0,
                  changedPacks: Array(packs.indices), changedBanks: Array(banks.indices),
                  layout: SiteLayout(packs: packs.map(\.id), banks: banks.map { ($0.id, $0.packs) }))
    }

    /// A snapshot that says what changed since generation - 1.
    public init(site: String, time: Date, packs: [PackStatus], banks: [BankStatus], generation: Int,
                changedPacks: [Int], changedBanks: [Int], layout: SiteLayout) {
        self.site = site
        self.time = time
        self.packs = packs
        self.banks = banks
        self.generation = generation
        self.changedPacks = changedPacks
        self.changedBanks = changedBanks
        self.layout = layout
    }

    /// The pack with `id`, if the site has it (an index lookup, no scan).
    public func pack(_ id: String) -> PackStatus? {
        layout.packIndex[id].map { packs[$0] }
    }

    /// The packs of bank `b` (index into `banks`), in bank order.
    public func members(ofBank b: Int) -> [PackStatus] {
        layout.bankMembers[b].map { packs[$0] }
    }
}

/// Where each pack and bank of a site is: index lookups that sinks would otherwise rebuild
/// from strings for every snapshot. Immutable, shared by every snapshot of one site.
public final class SiteLayout: Sendable {
    /// Pack id -> index into `Snapshot.packs`.
    public let packIndex: [String: Int]
    /// Bank id -> index into `Snapshot.banks`.
    public let bankIndex: [String: Int]
    /// Each bank's member pack indexes, in bank order (unknown ids left out).
    public let bankMembers: [[Int]]
    /// Each pack's banks (indexes into `Snapshot.banks`).
    public let banksOfPack: [[Int]]

    /// The layout of `packs` (ids in order) and `banks` (id and member ids, in order).
    public init(packs: [String], banks: [(id: String, packs: [String])]) {
        let packIndex = Dictionary(packs.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
        self.packIndex = packIndex
        bankIndex = Dictionary(banks.enumerated().map { ($0.element.id, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let members = banks.map { bank in bank.packs.compactMap { packIndex[$0] } }
        bankMembers = members
        var ofPack = Array(repeating: [Int](), count: packs.count)
        for (b, m) in members.enumerated() { for p in m where !ofPack[p].contains(b) { ofPack[p].append(b) } }
        banksOfPack = ofPack
    }
}

/// What a sink has seen of a site's snapshots: which packs and banks of a new snapshot it
/// has not handled yet. When the sink saw the snapshot just before (the usual case) that
/// is the snapshot's own change list, O(changes); after a gap (its queue dropped some, or
/// the first snapshot) it compares every pack's sequence and freshness, so nothing is
/// ever missed.
public struct SnapshotCursor: Sendable {
    private var generation = -1
    private var packKeys: [Int] = []
    private var bankKeys: [[Int]] = []
    /// The packs (indexes) among the last `changes` whose reading is new to this cursor (not
    /// only their freshness): the file and terminal write a line for each, once.
    public private(set) var newReadings: [Int] = []

    /// A cursor that has seen nothing.
    public init() {}

    /// The packs (indexes) that changed since the last snapshot this cursor saw, ascending;
    /// call once per snapshot, together with `changedBanks` when banks matter.
    public mutating func changes(in snapshot: Snapshot) -> (packs: [Int], banks: [Int]) {
        defer { generation = snapshot.generation }
        let keys = snapshot.packs.count
        newReadings.removeAll(keepingCapacity: true)
        if snapshot.generation > 0, snapshot.generation == generation + 1, packKeys.count == keys {
            for i in snapshot.changedPacks {
                let k = Self.key(snapshot.packs[i])
                if Self.sequence(k) != Self.sequence(packKeys[i]), snapshot.packs[i].sequence > 0 { newReadings.append(i) }
                packKeys[i] = k
            }
            for b in snapshot.changedBanks { bankKeys[b] = snapshot.layout.bankMembers[b].map { packKeys[$0] } }
            return (snapshot.changedPacks, snapshot.changedBanks)
        }
        if packKeys.count != keys { packKeys = Array(repeating: Int.min, count: keys) }
        if bankKeys.count != snapshot.banks.count { bankKeys = Array(repeating: [], count: snapshot.banks.count) }
        var packs: [Int] = []
        for i in snapshot.packs.indices {
            let k = Self.key(snapshot.packs[i])
            guard k != packKeys[i] else { continue }
            if Self.sequence(k) != Self.sequence(packKeys[i]), snapshot.packs[i].sequence > 0 { newReadings.append(i) }
            packKeys[i] = k
            packs.append(i)
        }
        var banks: [Int] = []
        for b in snapshot.banks.indices {
            let k = snapshot.layout.bankMembers[b].map { packKeys[$0] }
            if k != bankKeys[b] || snapshot.generation == 0 { bankKeys[b] = k; banks.append(b) }
        }
        if snapshot.generation == 0 { return (Array(snapshot.packs.indices), banks) }
        return (packs, banks)
    }

    /// A pack's poll count and freshness in one number.
    static func key(_ p: PackStatus) -> Int { p.sequence &* 2 &+ (p.online ? 1 : 0) }

    /// The poll count of a key (`Int.min`: never seen).
    static func sequence(_ key: Int) -> Int { key == Int.min ? -1 : key >> 1 }
}

extension Snapshot {
    /// This snapshot with every bank's command replaced by its `gatewayStalled` one: what the
    /// inverter links serve when no newer snapshot came within the stall rule's bound.
    public var withStalledCommands: Snapshot {
        Snapshot(site: site, time: time, packs: packs, banks: banks.map { bank in
            var b = bank
            b.command = bank.command.gatewayStalled
            return b
        })
    }
}
