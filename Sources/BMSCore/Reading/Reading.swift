import Foundation

/// A named extra value: a number or a text.
public enum ExtraValue: Sendable, Equatable {
    case number(Double)
    case text(String)
}

/// Device identity; empty strings are unknown.
public struct PackIdentity: Sendable, Equatable {
    public var model = ""
    public var serial = ""
    public var hardware = ""
    public var firmware = ""
    public var manufacturer = ""
    /// An empty identity.
    public init() {}
    /// True when nothing is known.
    public var isEmpty: Bool { self == PackIdentity() }
}

/// One reading of one pack in SI units, as sinks see it (never a vendor type).
///
/// A value type whose fields live in one shared box until a copy is changed: a reading is
/// copied into every snapshot, bank aggregate and sink, and a copy costs one reference
/// count instead of one per array and text it holds.
public struct Reading: Sendable, Equatable {
    /// Every field once: what the box holds, what equality compares, what a copy copies.
    private struct Fields: Equatable {
        var pack: String
        var driver: String
        var time: Date
        var voltage: Double? = nil
        var current: Double? = nil
        var power: Double? = nil
        var soc: Double? = nil
        var soh: Double? = nil
        var remainingCapacity: Double? = nil
        var fullCapacity: Double? = nil
        var cycles: Double? = nil
        var cells: [Double] = []
        var temperatures: [Double] = []
        var mosTemperature: Double? = nil
        var ambientTemperature: Double? = nil
        var balancing: [Int] = []
        var chargeEnabled: Bool? = nil
        var dischargeEnabled: Bool? = nil
        var alarms: [CanonicalAlarm] = []
        var status: [String] = []
        var identity: PackIdentity = PackIdentity()
        /// The extras with their limits and JSON, shared with other readings whose extras
        /// are the same (the bank limit rules ask for the limits at every snapshot of the
        /// bank; file, MQTT and HTTP write the JSON for every reading).
        var extras = ReadingExtras.none
    }

    /// The box readings share until one of them changes.
    private final class Storage: @unchecked Sendable {
        var fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private var storage: Storage

    /// Copies the box first when another reading shares it. Only mutation goes through
    /// here, and only the owner of a unique box mutates it: that is what makes the
    /// `@unchecked Sendable` box safe to share between threads.
    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = Storage(storage.fields) }
    }

    public var pack: String {
        get { storage.fields.pack }
        _modify { makeUnique(); yield &storage.fields.pack }
        set { makeUnique(); storage.fields.pack = newValue }
    }
    public var driver: String {
        get { storage.fields.driver }
        _modify { makeUnique(); yield &storage.fields.driver }
        set { makeUnique(); storage.fields.driver = newValue }
    }
    public var time: Date {
        get { storage.fields.time }
        _modify { makeUnique(); yield &storage.fields.time }
        set { makeUnique(); storage.fields.time = newValue }
    }
    /// Volts.
    public var voltage: Double? {
        get { storage.fields.voltage }
        _modify { makeUnique(); yield &storage.fields.voltage }
        set { makeUnique(); storage.fields.voltage = newValue }
    }
    /// Amperes, positive = charging.
    public var current: Double? {
        get { storage.fields.current }
        _modify { makeUnique(); yield &storage.fields.current }
        set { makeUnique(); storage.fields.current = newValue }
    }
    /// Watts, positive = charging.
    public var power: Double? {
        get { storage.fields.power }
        _modify { makeUnique(); yield &storage.fields.power }
        set { makeUnique(); storage.fields.power = newValue }
    }
    public var soc: Double? {
        get { storage.fields.soc }
        _modify { makeUnique(); yield &storage.fields.soc }
        set { makeUnique(); storage.fields.soc = newValue }
    }
    public var soh: Double? {
        get { storage.fields.soh }
        _modify { makeUnique(); yield &storage.fields.soh }
        set { makeUnique(); storage.fields.soh = newValue }
    }
    /// Ah.
    public var remainingCapacity: Double? {
        get { storage.fields.remainingCapacity }
        _modify { makeUnique(); yield &storage.fields.remainingCapacity }
        set { makeUnique(); storage.fields.remainingCapacity = newValue }
    }
    /// Ah.
    public var fullCapacity: Double? {
        get { storage.fields.fullCapacity }
        _modify { makeUnique(); yield &storage.fields.fullCapacity }
        set { makeUnique(); storage.fields.fullCapacity = newValue }
    }
    public var cycles: Double? {
        get { storage.fields.cycles }
        _modify { makeUnique(); yield &storage.fields.cycles }
        set { makeUnique(); storage.fields.cycles = newValue }
    }
    /// Volts, cell 1 first.
    public var cells: [Double] {
        get { storage.fields.cells }
        _modify { makeUnique(); yield &storage.fields.cells }
        set { makeUnique(); storage.fields.cells = newValue }
    }
    /// °C.
    public var temperatures: [Double] {
        get { storage.fields.temperatures }
        _modify { makeUnique(); yield &storage.fields.temperatures }
        set { makeUnique(); storage.fields.temperatures = newValue }
    }
    public var mosTemperature: Double? {
        get { storage.fields.mosTemperature }
        _modify { makeUnique(); yield &storage.fields.mosTemperature }
        set { makeUnique(); storage.fields.mosTemperature = newValue }
    }
    public var ambientTemperature: Double? {
        get { storage.fields.ambientTemperature }
        _modify { makeUnique(); yield &storage.fields.ambientTemperature }
        set { makeUnique(); storage.fields.ambientTemperature = newValue }
    }
    /// 1-based numbers of balancing cells.
    public var balancing: [Int] {
        get { storage.fields.balancing }
        _modify { makeUnique(); yield &storage.fields.balancing }
        set { makeUnique(); storage.fields.balancing = newValue }
    }
    public var chargeEnabled: Bool? {
        get { storage.fields.chargeEnabled }
        _modify { makeUnique(); yield &storage.fields.chargeEnabled }
        set { makeUnique(); storage.fields.chargeEnabled = newValue }
    }
    public var dischargeEnabled: Bool? {
        get { storage.fields.dischargeEnabled }
        _modify { makeUnique(); yield &storage.fields.dischargeEnabled }
        set { makeUnique(); storage.fields.dischargeEnabled = newValue }
    }
    /// Canonical alarm names.
    public var alarms: [CanonicalAlarm] {
        get { storage.fields.alarms }
        _modify { makeUnique(); yield &storage.fields.alarms }
        set { makeUnique(); storage.fields.alarms = newValue }
    }
    /// Vendor status texts.
    public var status: [String] {
        get { storage.fields.status }
        _modify { makeUnique(); yield &storage.fields.status }
        set { makeUnique(); storage.fields.status = newValue }
    }
    public var identity: PackIdentity {
        get { storage.fields.identity }
        _modify { makeUnique(); yield &storage.fields.identity }
        set { makeUnique(); storage.fields.identity = newValue }
    }
    /// Vendor values by name, in the order the driver set them (JSON: `extras`).
    public var extras: [(name: String, value: ExtraValue)] {
        get { storage.fields.extras.list }
        _modify {
            makeUnique()
            var list = storage.fields.extras.list
            storage.fields.extras = .none  // the list's only owner now, when the box was ours alone
            defer { storage.fields.extras = ReadingExtras(list) }
            yield &list
        }
        set { makeUnique(); storage.fields.extras = ReadingExtras(newValue) }
    }

    /// The extras as a shareable whole: a reading given another's `sharedExtras` has the
    /// same extras, and finds their limits and writes their JSON no more than that one did.
    public var sharedExtras: ReadingExtras {
        get { storage.fields.extras }
        set { makeUnique(); storage.fields.extras = newValue }
    }

    /// An empty reading of a pack.
    public init(pack: String, driver: String, time: Date) {
        storage = Storage(Fields(pack: pack, driver: driver, time: time))
    }

    /// Lowest cell voltage.
    public var cellMin: Double? { cells.min() }
    /// Highest cell voltage.
    public var cellMax: Double? { cells.max() }
    /// Mean cell voltage, rounded to 0.1 mV.
    public var cellAvg: Double? {
        cells.isEmpty ? nil : (cells.reduce(0, +) / Double(cells.count) * 10000).rounded() / 10000
    }
    /// Highest minus lowest cell, rounded to 0.1 mV.
    public var cellDelta: Double? {
        guard let lo = cellMin, let hi = cellMax else { return nil }
        return ((hi - lo) * 10000).rounded() / 10000
    }

    /// The numeric extras a BMS reports its own limits as (`charge_current_limit`,
    /// `discharge_current_limit`, `charge_voltage_limit`), nil when absent or not a number.
    public var reportedLimits: ReportedLimits { storage.fields.extras.reportedLimits }

    /// The value of an extra, or nil.
    public func extra(_ name: String) -> ExtraValue? {
        // Lengths first: most names differ in length, and that costs no string compare.
        let length = name.utf8.count
        return extras.first { $0.name.utf8.count == length && $0.name == name }?.value
    }

    /// Equal when every field is (the same box, or the same values; extras by their values).
    public static func == (a: Reading, b: Reading) -> Bool {
        a.storage === b.storage || a.storage.fields == b.storage.fields
    }
}

/// The limits a BMS reports about itself, taken from a reading's extras (the first of each
/// name, as `Reading.extra` finds it).
public struct ReportedLimits: Sendable, Equatable {
    /// `charge_current_limit`, A.
    public var chargeCurrent: Double?
    /// `discharge_current_limit`, A.
    public var dischargeCurrent: Double?
    /// `charge_voltage_limit`, V.
    public var chargeVoltage: Double?

    /// Limits as given.
    public init(chargeCurrent: Double?, dischargeCurrent: Double?, chargeVoltage: Double?) {
        self.chargeCurrent = chargeCurrent
        self.dischargeCurrent = dischargeCurrent
        self.chargeVoltage = chargeVoltage
    }

    /// Finds the three in `extras` in one pass: the first entry of each name counts, and
    /// one that is text or NaN counts as absent (as `Reading.extra` would find it).
    init(_ extras: [(name: String, value: ExtraValue)]) {
        var seen = (charge: false, discharge: false, voltage: false)
        for (name, value) in extras {
            var number: Double?
            if case .number(let v) = value, !v.isNaN { number = v }
            switch name {
            case "charge_current_limit" where !seen.charge: (seen.charge, chargeCurrent) = (true, number)
            case "discharge_current_limit" where !seen.discharge: (seen.discharge, dischargeCurrent) = (true, number)
            case "charge_voltage_limit" where !seen.voltage: (seen.voltage, chargeVoltage) = (true, number)
            default: break
            }
        }
    }
}
