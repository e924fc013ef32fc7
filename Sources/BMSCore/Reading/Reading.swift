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
    private final class Storage: @unchecked Sendable {
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

        init(pack: String, driver: String, time: Date) {
            self.pack = pack
            self.driver = driver
            self.time = time
        }

        func copy() -> Storage {
            let c = Storage(pack: pack, driver: driver, time: time)
            c.voltage = voltage
            c.current = current
            c.power = power
            c.soc = soc
            c.soh = soh
            c.remainingCapacity = remainingCapacity
            c.fullCapacity = fullCapacity
            c.cycles = cycles
            c.cells = cells
            c.temperatures = temperatures
            c.mosTemperature = mosTemperature
            c.ambientTemperature = ambientTemperature
            c.balancing = balancing
            c.chargeEnabled = chargeEnabled
            c.dischargeEnabled = dischargeEnabled
            c.alarms = alarms
            c.status = status
            c.identity = identity
            c.extras = extras
            return c
        }
    }

    private var storage: Storage

    /// Copies the box first when another reading shares it. Only mutation goes through
    /// here, and only the owner of a unique box mutates it: that is what makes the
    /// `@unchecked Sendable` box safe to share between threads.
    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    public var pack: String {
        get { storage.pack }
        _modify { makeUnique(); yield &storage.pack }
        set { makeUnique(); storage.pack = newValue }
    }
    public var driver: String {
        get { storage.driver }
        _modify { makeUnique(); yield &storage.driver }
        set { makeUnique(); storage.driver = newValue }
    }
    public var time: Date {
        get { storage.time }
        _modify { makeUnique(); yield &storage.time }
        set { makeUnique(); storage.time = newValue }
    }
    /// Volts.
    public var voltage: Double? {
        get { storage.voltage }
        _modify { makeUnique(); yield &storage.voltage }
        set { makeUnique(); storage.voltage = newValue }
    }
    /// Amperes, positive = charging.
    public var current: Double? {
        get { storage.current }
        _modify { makeUnique(); yield &storage.current }
        set { makeUnique(); storage.current = newValue }
    }
    /// Watts, positive = charging.
    public var power: Double? {
        get { storage.power }
        _modify { makeUnique(); yield &storage.power }
        set { makeUnique(); storage.power = newValue }
    }
    public var soc: Double? {
        get { storage.soc }
        _modify { makeUnique(); yield &storage.soc }
        set { makeUnique(); storage.soc = newValue }
    }
    public var soh: Double? {
        get { storage.soh }
        _modify { makeUnique(); yield &storage.soh }
        set { makeUnique(); storage.soh = newValue }
    }
    /// Ah.
    public var remainingCapacity: Double? {
        get { storage.remainingCapacity }
        _modify { makeUnique(); yield &storage.remainingCapacity }
        set { makeUnique(); storage.remainingCapacity = newValue }
    }
    /// Ah.
    public var fullCapacity: Double? {
        get { storage.fullCapacity }
        _modify { makeUnique(); yield &storage.fullCapacity }
        set { makeUnique(); storage.fullCapacity = newValue }
    }
    public var cycles: Double? {
        get { storage.cycles }
        _modify { makeUnique(); yield &storage.cycles }
        set { makeUnique(); storage.cycles = newValue }
    }
    /// Volts, cell 1 first.
    public var cells: [Double] {
        get { storage.cells }
        _modify { makeUnique(); yield &storage.cells }
        set { makeUnique(); storage.cells = newValue }
    }
    /// °C.
    public var temperatures: [Double] {
        get { storage.temperatures }
        _modify { makeUnique(); yield &storage.temperatures }
        set { makeUnique(); storage.temperatures = newValue }
    }
    public var mosTemperature: Double? {
        get { storage.mosTemperature }
        _modify { makeUnique(); yield &storage.mosTemperature }
        set { makeUnique(); storage.mosTemperature = newValue }
    }
    public var ambientTemperature: Double? {
        get { storage.ambientTemperature }
        _modify { makeUnique(); yield &storage.ambientTemperature }
        set { makeUnique(); storage.ambientTemperature = newValue }
    }
    /// 1-based numbers of balancing cells.
    public var balancing: [Int] {
        get { storage.balancing }
        _modify { makeUnique(); yield &storage.balancing }
        set { makeUnique(); storage.balancing = newValue }
    }
    public var chargeEnabled: Bool? {
        get { storage.chargeEnabled }
        _modify { makeUnique(); yield &storage.chargeEnabled }
        set { makeUnique(); storage.chargeEnabled = newValue }
    }
    public var dischargeEnabled: Bool? {
        get { storage.dischargeEnabled }
        _modify { makeUnique(); yield &storage.dischargeEnabled }
        set { makeUnique(); storage.dischargeEnabled = newValue }
    }
    /// Canonical alarm names.
    public var alarms: [CanonicalAlarm] {
        get { storage.alarms }
        _modify { makeUnique(); yield &storage.alarms }
        set { makeUnique(); storage.alarms = newValue }
    }
    /// Vendor status texts.
    public var status: [String] {
        get { storage.status }
        _modify { makeUnique(); yield &storage.status }
        set { makeUnique(); storage.status = newValue }
    }
    public var identity: PackIdentity {
        get { storage.identity }
        _modify { makeUnique(); yield &storage.identity }
        set { makeUnique(); storage.identity = newValue }
    }
    /// Vendor values by name, in the order the driver set them (JSON: `extras`).
    public var extras: [(name: String, value: ExtraValue)] {
        get { storage.extras.list }
        _modify {
            makeUnique()
            var list = storage.extras.list
            storage.extras = .none  // the list's only owner now, when the box was ours alone
            defer { storage.extras = ReadingExtras(list) }
            yield &list
        }
        set { makeUnique(); storage.extras = ReadingExtras(newValue) }
    }

    /// The extras as a shareable whole: a reading given another's `sharedExtras` has the
    /// same extras, and finds their limits and writes their JSON no more than that one did.
    public var sharedExtras: ReadingExtras {
        get { storage.extras }
        set { makeUnique(); storage.extras = newValue }
    }

    /// An empty reading of a pack.
    public init(pack: String, driver: String, time: Date) {
        storage = Storage(pack: pack, driver: driver, time: time)
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
    public var reportedLimits: ReportedLimits { storage.extras.reportedLimits }

    /// The value of an extra, or nil.
    public func extra(_ name: String) -> ExtraValue? {
        // Lengths first: most names differ in length, and that costs no string compare.
        let length = name.utf8.count
        return extras.first { $0.name.utf8.count == length && $0.name == name }?.value
    }

    public static func == (a: Reading, b: Reading) -> Bool {
        a.jsonText(online: true) == b.jsonText(online: true)
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
