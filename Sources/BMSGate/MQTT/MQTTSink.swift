import Foundation
import Logging

/// The `mqtt` sink: pack and bank states, availability and Home Assistant discovery.
///
/// - State (`<prefix>/<site>/<id>/state`) at most every `interval` per pack/bank, only
///   when there is new data; while the broker is unreachable states wait in a bounded
///   outbox (`queue`, `queue_policy`) and go out in order after the reconnect.
/// - Availability is "latest value": published at once on a change and again after every
///   connect; the gateway's own availability topic carries the last will `offline`.
/// - Discovery (retained) is sent when a pack's fields first appear or change, after every
///   connect, and when Home Assistant announces itself on `<discovery>/status`.
/// - A change of a pack's alarms is published at once, whatever the interval.
///
/// `write` never blocks: libmosquitto's network thread does the I/O.
public final class MQTTSink: Sink, @unchecked Sendable {
    public let name: String
    public let settings: MQTTSinkSettings
    public let topics: MQTTTopics
    private let site: String
    private let logger: Logger
    private var client: MQTTClient!
    private let lock = NSLock()
    private var outbox: MQTTOutbox
    private var availability: [String: String] = [:]
    /// When each pack/bank was last published (monotonic ms: a wall-clock step never stalls it).
    private var lastPublished: [String: UInt64] = [:]
    /// What each pack/bank state was last published from (compared by value: a new reading
    /// is never mistaken for the old one).
    private var lastSignature: [String: PublishedFrom] = [:]
    private var lastAlarms: [String: [CanonicalAlarm]] = [:]
    /// What the sink has seen, and what changed but was not due yet (published when due).
    private var cursor = SnapshotCursor()
    private var pendingPacks = Set<Int>()
    private var pendingBanks = Set<Int>()
    /// Each pack's state shape when its discovery was last checked.
    private var packShapes: [Int: PackShape] = [:]
    /// Discovery messages wanted per pack/bank id: topic → payload.
    private var discovery: [String: [String: String]] = [:]
    /// Discovery topic → payload as last published on this connection.
    private var discoverySent: [String: String] = [:]
    /// The live site, for remote limits on its banks (nil: none taken).
    private weak var control: Site?
    /// The shape (fields, array sizes, device) discovery was last built from, per id:
    /// discovery is rebuilt only when it changes, not for every reading.
    private var discoveryShape: [String: DiscoveryShape] = [:]

    /// Starts the client (connecting in the background). Throws when the password cannot
    /// be read or TLS files are unusable.
    public init(settings: MQTTSinkSettings, site: String, logger: Logger, control: Site? = nil) throws {
        self.settings = settings
        self.control = control
        self.site = site
        self.logger = logger
        topics = MQTTTopics(prefix: settings.topicPrefix, site: site, discoveryPrefix: settings.discoveryPrefix)
        outbox = MQTTOutbox(capacity: settings.queueSize, policy: settings.queuePolicy)
        let password: String?
        do {
            password = try settings.password.map { try SecretReader.read($0) }
        } catch {
            throw MQTTSetupError(description: "password: \(error)")
        }
        name = "mqtt \(settings.host):\(settings.port)"
        let will = MQTTMessage(topic: topics.availability, payload: "offline", qos: 1, retain: true)
        client = try MQTTClient(settings: settings, clientId: settings.clientId(site: site), password: password, will: will,
                                logger: logger,
                                onConnect: { [weak self] in self?.connected() },
                                onMessage: { [weak self] topic, payload in self?.received(topic: topic, payload: payload) })
        client.start()
    }

    /// True while connected to the broker.
    public var isConnected: Bool { client.isConnected }

    /// Readings dropped because the outbox was full.
    public var droppedCount: Int { lock.withLock { outbox.dropped } }

    public func write(_ snapshot: Snapshot) {
        lock.withLock {
            let now = MonotonicClock.nowMs()
            // Only the packs and banks that changed (or changed earlier and were not due
            // then) are looked at, and JSON is built only for what is published.
            let changes = cursor.changes(in: snapshot)
            pendingPacks.formUnion(changes.packs)
            pendingBanks.formUnion(changes.banks)
            for i in pendingPacks.sorted() {
                let pack = snapshot.packs[i]
                setAvailability(pack.id, online: pack.online)
                guard let reading = pack.reading else { pendingPacks.remove(i); continue }
                guard due(pack.id, signature: .pack(sequence: pack.sequence), alarms: reading.alarms, now: now) else {
                    if lastSignature[pack.id] == .pack(sequence: pack.sequence) { pendingPacks.remove(i) }
                    continue
                }
                pendingPacks.remove(i)
                // The state's keys (what discovery is made from) follow from which fields
                // are known, the arrays' lengths, the identity and the extras' names: when
                // those are as last time, discovery has nothing to add and the state is not
                // built as a tree at all.
                let shape = PackShape(pack, reading)
                let shapeChanged = settings.discovery && packShapes[i] != shape
                var state = JSONObject()
                if shapeChanged || pack.lastError != nil, case .object(let o) = reading.json(online: pack.online) {
                    state = o
                    if let error = pack.lastError { state["error"] = .string(error) }
                    state["stats"] = pack.counters.json
                }
                // Without an error the state is the pack's JSON line, rendered once for
                // every sink that writes it.
                let payload = pack.lastError == nil ? pack.jsonLine : JSONValue.object(state).render()
                enqueue(MQTTMessage(topic: topics.state(pack.id), payload: payload, qos: settings.qos, retain: settings.retain))
                if shapeChanged {
                    packShapes[i] = shape
                    updateDiscovery(pack.id, state: state, device: HomeAssistantDevice(pack: pack, site: site))
                }
            }
            for b in pendingBanks.sorted() {
                let bank = snapshot.banks[b]
                setAvailability(bank.id, online: !bank.onlinePacks.isEmpty)
                let members = snapshot.layout.bankMembers[b]
                let signature = PublishedFrom.bank(sequences: members.map { snapshot.packs[$0].sequence }, online: bank.onlinePacks.count)
                guard members.contains(where: { snapshot.packs[$0].reading != nil }) else { pendingBanks.remove(b); continue }
                guard due(bank.id, signature: signature, alarms: bank.alarms, now: now) else {
                    if lastSignature[bank.id] == signature { pendingBanks.remove(b) }
                    continue
                }
                pendingBanks.remove(b)
                guard case .object(let state) = bank.json else { continue }
                enqueue(MQTTMessage(topic: topics.state(bank.id), payload: JSONValue.object(state).render(), qos: settings.qos, retain: settings.retain))
                updateDiscovery(bank.id, state: state, device: HomeAssistantDevice(bank: bank, site: site))
            }
            flush()
        }
    }

    /// Readings within 200 ms are published together, from this sink's own thread: each
    /// publish is a write to the broker and a wake-up of libmosquitto's network thread, so
    /// a window costs those wake-ups once instead of once per reading. Subscribers see a
    /// value at most 200 ms later; the inverter links (Modbus, CAN, RS485) are not delayed.
    public var gatherWindow: Duration { .milliseconds(200) }

    /// The newest snapshot of a window holds every new result: the cursor compares it with
    /// what was handled (the ones before it need not be looked at one by one).
    public func write(batch snapshots: [Snapshot]) {
        if let newest = snapshots.last { write(newest) }
    }

    /// Says `offline` for the gateway and every pack/bank (a crash leaves only the last
    /// will on the gateway's topic), then disconnects.
    public func close() {
        let ids = lock.withLock { availability.keys.sorted() }
        let final = ids.map { MQTTMessage(topic: topics.availability($0), payload: "offline", qos: 1, retain: true) }
            + [MQTTMessage(topic: topics.availability, payload: "offline", qos: 1, retain: true)]
        client.stop(final: final)
        let left = lock.withLock { outbox.count }
        if left > 0 { logger.warning("mqtt \(client.endpoint): \(left) reading(s) not delivered at shutdown") }
    }

    // MARK: - With the lock held

    /// New data since the last publication, and the interval has passed or the alarms changed.
    /// Readings arrive with some jitter, so a reading up to a tenth of the interval (at most
    /// 500 ms) early counts as on time: with `interval` equal to the poll interval, every
    /// reading is published (not three in four).
    private func due(_ id: String, signature: PublishedFrom, alarms: [CanonicalAlarm], now: UInt64) -> Bool {
        guard lastSignature[id] != signature else { return false }
        let interval = UInt64(max(0, settings.interval.milliseconds))
        let early = min(interval / 10, 500)
        if let last = lastPublished[id], now &- last < interval - early, lastAlarms[id] == alarms {
            return false
        }
        lastSignature[id] = signature
        lastAlarms[id] = alarms
        lastPublished[id] = now
        return true
    }

    private func setAvailability(_ id: String, online: Bool) {
        let value = online ? "online" : "offline"
        guard availability[id] != value else { return }
        availability[id] = value
        client.publish(MQTTMessage(topic: topics.availability(id), payload: value, qos: 1, retain: true))
    }

    private func enqueue(_ message: MQTTMessage) {
        if outbox.isEmpty && client.publish(message) { return }
        if outbox.append(message) {
            logger.warning("mqtt \(client.endpoint): \(outbox.capacity) reading(s) waiting for the broker; dropping the \(settings.queuePolicy == .dropOldest ? "oldest" : "newest") from now on")
        }
    }

    private func flush() {
        while let next = outbox.first, client.publish(next) { outbox.removeFirst() }
        if outbox.isEmpty {
            let dropped = outbox.endBurst()
            if dropped > 0 {
                logger.warning("mqtt \(client.endpoint): \(dropped) reading(s) were dropped while the broker was unreachable (\(outbox.dropped) in all)")
            }
        }
    }

    /// Adds (or updates) entities; never removes one during a run: a field missing from one
    /// reading (a rotated setting, a failed probe) must not delete its history in Home Assistant.
    private func updateDiscovery(_ id: String, state: JSONObject, device: HomeAssistantDevice) {
        guard settings.discovery else { return }
        let shape = DiscoveryShape(state: state, device: device)
        if discoveryShape[id] == shape { return }
        discoveryShape[id] = shape
        let messages = HomeAssistantDiscovery.messages(id: id, state: state, device: device, topics: topics)
        for m in messages {
            discovery[id, default: [:]][m.topic] = m.payload
            if discoverySent[m.topic] != m.payload, client.publish(m) { discoverySent[m.topic] = m.payload }
        }
    }

    private func publishAllDiscovery() {
        discoverySent = [:]
        for (_, wanted) in discovery.sorted(by: { $0.key < $1.key }) {
            for (topic, payload) in wanted.sorted(by: { $0.key < $1.key })
            where client.publish(MQTTMessage(topic: topic, payload: payload, qos: 1, retain: true)) {
                discoverySent[topic] = payload
            }
        }
    }

    // MARK: - Network thread

    private func connected() {
        if settings.discovery { client.subscribe(topics.homeAssistantStatus, qos: 1) }
        if settings.remoteLimits, let banks = control?.config.banks {
            for bank in banks { client.subscribe(topics.remoteLimits(bank.id), qos: 1) }
        }
        lock.withLock {
            client.publish(MQTTMessage(topic: topics.availability, payload: "online", qos: 1, retain: true))
            for (id, value) in availability.sorted(by: { $0.key < $1.key }) {
                client.publish(MQTTMessage(topic: topics.availability(id), payload: value, qos: 1, retain: true))
            }
            publishAllDiscovery()
            flush()
        }
    }

    private func received(topic: String, payload: String) {
        if settings.remoteLimits, let site = control, let bank = site.config.banks.first(where: { topics.remoteLimits($0.id) == topic }) {
            let text = payload.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty || text == "{}" {
                _ = site.setRemoteLimit(bank: bank.id, nil)
                logger.notice("bank \(bank.id): remote limit cleared over MQTT")
                return
            }
            switch BankLimitRoutes.parse(text, source: "mqtt") {
            case .success(let limit):
                _ = site.setRemoteLimit(bank: bank.id, limit)
                logger.notice("bank \(bank.id): remote limit set over MQTT: \(BankLimitRoutes.describe(limit))")
            case .failure(let error):
                logger.warning("bank \(bank.id): remote limit on \(topic) refused: \(error)")
            }
            return
        }
        guard topic == topics.homeAssistantStatus, payload == "online" else { return }
        logger.info("mqtt \(client.endpoint): Home Assistant (re)started; sending discovery again")
        lock.withLock { publishAllDiscovery() }
    }
}

/// What decides the keys of a pack's MQTT state (and so its Home Assistant entities):
/// which measurements are known, the arrays' lengths, the identity (also the device), the
/// extras' names (one shared `ExtraNames` while they stay the same: one identity compare), and
/// whether an error is attached.
struct PackShape: Equatable {
    var known: UInt32
    var counts: (cells: Int, temperatures: Int, balancing: Int, alarms: Int, status: Int)
    var identity: PackIdentity
    var extras: ExtraNames
    var error: Bool

    init(_ pack: PackStatus, _ r: Reading) {
        var bits: UInt32 = 0
        func mark(_ present: Bool, _ bit: UInt32) { if present { bits |= 1 << bit } }
        mark(r.voltage != nil, 0); mark(r.current != nil, 1); mark(r.power != nil, 2); mark(r.soc != nil, 3)
        mark(r.soh != nil, 4); mark(r.remainingCapacity != nil, 5); mark(r.fullCapacity != nil, 6); mark(r.cycles != nil, 7)
        mark(r.mosTemperature != nil, 8); mark(r.ambientTemperature != nil, 9); mark(r.chargeEnabled != nil, 10)
        mark(r.dischargeEnabled != nil, 11)
        known = bits
        counts = (r.cells.count, r.temperatures.count, r.balancing.count, r.alarms.count, r.status.count)
        identity = r.identity
        extras = r.sharedExtras.names
        error = pack.lastError != nil
    }

    static func == (a: PackShape, b: PackShape) -> Bool {
        a.known == b.known && a.counts == b.counts && a.identity == b.identity && a.error == b.error
            && ExtraNames.same(a.extras, b.extras)
    }
}

/// What a published pack or bank state was made from: the pack's reading (its sequence
/// number), or the sequence numbers of the bank's packs and how many were online.
enum PublishedFrom: Equatable {
    case pack(sequence: Int)
    case bank(sequences: [Int], online: Int)
}

/// What Home Assistant discovery is built from: the state's keys, its arrays' sizes, its
/// objects' keys, and the device. Discovery is rebuilt only when this changes, compared by
/// value (a hash could let a change pass unseen).
struct DiscoveryShape: Equatable {
    var keys: [String]
    var device: [String]

    init(state: JSONObject, device d: HomeAssistantDevice) {
        var keys: [String] = []
        for (key, value) in state.pairs {
            keys.append(key)
            switch value {
            case .array(let items): keys.append("[\(items.count)]")
            case .object(let o): keys.append("{" + o.pairs.map(\.0).joined(separator: ",") + "}")
            default: break
            }
        }
        self.keys = keys
        device = [d.name, d.manufacturer, d.model, d.firmware ?? "", d.hardware ?? "", d.serial ?? ""]
    }
}
