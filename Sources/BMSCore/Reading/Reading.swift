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
public struct Reading: Sendable, Equatable {
    public var pack: String
    public var driver: String
    public var time: Date
    /// Volts.
    public var voltage: Double?
    /// Amperes, positive = charging.
    public var current: Double?
    /// Watts, positive = charging.
    public var power: Double?
    public var soc: Double?
    public var soh: Double?
    /// Ah.
    public var remainingCapacity: Double?
    /// Ah.
    public var fullCapacity: Double?
    public var cycles: Double?
    /// Volts, cell 1 first.
    public var cells: [Double] = []
    /// °C.
    public var temperatures: [Double] = []
    public var mosTemperature: Double?
    public var ambientTemperature: Double?
    /// 1-based numbers of balancing cells.
    public var balancing: [Int] = []
    public var chargeEnabled: Bool?
    public var dischargeEnabled: Bool?
    /// Canonical alarm names.
    public var alarms: [CanonicalAlarm] = []
    /// Vendor status texts.
    public var status: [String] = []
    public var identity = PackIdentity()
    public var extras: [(name: String, value: ExtraValue)] = []

    /// An empty reading of a pack.
    public init(pack: String, driver: String, time: Date) {
        self.pack = pack
        self.driver = driver
        self.time = time
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

    /// The value of an extra, or nil.
    public func extra(_ name: String) -> ExtraValue? { extras.first { $0.name == name }?.value }

    public static func == (a: Reading, b: Reading) -> Bool {
        a.json(online: true).render() == b.json(online: true).render()
    }
}
