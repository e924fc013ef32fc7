import Foundation

/// The state of one pack at one moment.
public struct PackStatus: Sendable {
    public var id: String
    public var driver: String
    public var bus: String
    public var address: String
    /// Fresh data (last good reading younger than stale_after).
    public var online: Bool
    /// The last good reading, if any (may be stale: check `online`).
    public var reading: Reading?
    /// The reason of the last failed poll, nil when the last poll succeeded.
    public var lastError: String?
    /// When the last poll (good or bad) finished.
    public var lastPollTime: Date?
    public var counters: PackCounters
    /// Number of poll results so far: a sink writes a pack when this changes.
    public var sequence: Int

    /// A pack state.
    public init(id: String, driver: String, bus: String, address: String, online: Bool, reading: Reading?, lastError: String?,
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

    /// The line a JSON sink writes for this pack: the reading when the last poll was good,
    /// otherwise the failure (`online` stays true until the data is stale), with
    /// `reading_time`, the time of the last good reading, when there was one.
    public var json: JSONValue {
        var o: JSONObject
        if lastError == nil, let reading, case .object(let r) = reading.json(online: online) {
            o = r
        } else {
            o = JSONObject()
            o["pack"] = .string(id)
            o["driver"] = .string(driver)
            o["time"] = .string(ISOTime.format(lastPollTime ?? Date()))
            o["online"] = .bool(online)
            if let lastError { o["error"] = .string(lastError) }
            if let reading { o["reading_time"] = .string(ISOTime.format(reading.time)) }
        }
        o["stats"] = counters.json
        return .object(o)
    }
}

/// Everything the sinks see at one moment: immutable, shared by all sinks.
public struct Snapshot: Sendable {
    /// Site name.
    public var site: String
    public var time: Date
    /// Packs in config order.
    public var packs: [PackStatus]
    /// Banks in config order.
    public var banks: [BankStatus]

    /// A snapshot.
    public init(site: String, time: Date, packs: [PackStatus], banks: [BankStatus]) {
        self.site = site
        self.time = time
        self.packs = packs
        self.banks = banks
    }
}
