/// A value of a named extra: a number or a text.
public enum ExtraValue: Sendable, Equatable {
    case number(Double)
    case text(String)
}

/// What a Swift driver reports from one poll or decode. Nil means "not reported".
public struct DriverReading: Sendable, Equatable {
    /// Pack voltage, V.
    public var voltage: Double?
    /// Pack current, A, positive = charging.
    public var current: Double?
    /// Power, W, positive = charging.
    public var power: Double?
    /// State of charge, %.
    public var soc: Double?
    /// State of health, %.
    public var soh: Double?
    /// Remaining capacity, Ah.
    public var remainingCapacity: Double?
    /// Full capacity, Ah.
    public var fullCapacity: Double?
    /// Charge cycles.
    public var cycles: Double?
    /// MOSFET temperature, °C.
    public var mosTemperature: Double?
    /// Ambient temperature, °C.
    public var ambientTemperature: Double?
    /// Cell voltages, V, cell 1 first.
    public var cells: [Double] = []
    /// Balancing flags parallel to `cells`.
    public var balancing: [Bool] = []
    /// Cell/pack probe temperatures, °C.
    public var temperatures: [Double] = []
    /// Active canonical alarms.
    public var alarms: Alarms = []
    /// Charge switch state.
    public var chargeEnabled: Bool?
    /// Discharge switch state.
    public var dischargeEnabled: Bool?
    /// Vendor status texts.
    public var status: [String] = []
    /// Named extras, in the order they were set (a name set twice keeps its first place).
    public private(set) var extras: [(name: String, value: ExtraValue)] = []

    /// An empty reading.
    public init() {}

    /// Sets (or replaces) a numeric extra.
    public mutating func setExtra(_ name: String, _ value: Double) { setExtra(name, .number(value)) }
    /// Sets (or replaces) a text extra.
    public mutating func setExtra(_ name: String, _ value: String) { setExtra(name, .text(value)) }
    /// Sets (or replaces) an extra.
    public mutating func setExtra(_ name: String, _ value: ExtraValue) {
        // A few extras: a scan. Many (a BMS's whole parameter set): an index by name, so a
        // reading with n extras costs n lookups, not n x n string comparisons.
        if extras.count < 8 {
            if let i = extras.firstIndex(where: { $0.name == name }) { extras[i].value = value } else { extras.append((name, value)) }
            return
        }
        if extraIndex.count != extras.count {
            extraIndex = Dictionary(extras.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { a, _ in a })
        }
        if let i = extraIndex[name] {
            extras[i].value = value
        } else {
            extraIndex[name] = extras.count
            extras.append((name, value))
        }
    }
    /// Sets many numeric extras at once, whose names are distinct among themselves (a
    /// parameter table read once per session): a name set before takes the new value in its
    /// place, the others are appended in order. Cheaper than `setExtra` for each: only the
    /// extras set before are looked at (length first), and no index is built.
    public mutating func setExtras(distinct list: [(String, Double)]) {
        let before = extras.count
        extras.reserveCapacity(before + list.count)
        for (name, value) in list {
            let length = name.utf8.count
            if let i = extras[..<before].firstIndex(where: { $0.name.utf8.count == length && $0.name == name }) {
                extras[i].value = .number(value)
            } else {
                extras.append((name, .number(value)))
            }
        }
    }

    /// Where each extra is, once there are many (kept in step with `extras`).
    private var extraIndex: [String: Int] = [:]
    /// The value of an extra, or nil.
    public func extra(_ name: String) -> ExtraValue? { extras.first { $0.name == name }?.value }

    public static func == (a: DriverReading, b: DriverReading) -> Bool {
        a.voltage == b.voltage && a.current == b.current && a.power == b.power && a.soc == b.soc
            && a.soh == b.soh && a.remainingCapacity == b.remainingCapacity
            && a.fullCapacity == b.fullCapacity && a.cycles == b.cycles
            && a.mosTemperature == b.mosTemperature && a.ambientTemperature == b.ambientTemperature
            && a.cells == b.cells && a.balancing == b.balancing && a.temperatures == b.temperatures
            && a.alarms == b.alarms && a.chargeEnabled == b.chargeEnabled
            && a.dischargeEnabled == b.dischargeEnabled && a.status == b.status
            && a.extras.map(\.name) == b.extras.map(\.name) && a.extras.map(\.value) == b.extras.map(\.value)
    }
}

/// Device identity as a Swift driver reports it; empty strings are unknown.
public struct DriverIdentity: Sendable, Equatable {
    public var model = ""
    public var serial = ""
    public var hardware = ""
    public var firmware = ""
    public var manufacturer = ""
    /// An empty identity.
    public init() {}
}
