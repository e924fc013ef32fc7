/// A temperature window for one direction: full current between `low` and `high`,
/// linearly less towards `min` and `max`, none at or beyond them (°C).
public struct TemperatureWindow: Sendable, Equatable {
    /// Hard lower limit: 0 A at or below.
    public var min: Double
    /// Full current from here up.
    public var low: Double
    /// Full current up to here.
    public var high: Double
    /// Hard upper limit: 0 A at or above.
    public var max: Double

    /// A window; requires `min <= low <= high <= max`.
    public init(min: Double, low: Double, high: Double, max: Double) {
        self.min = min
        self.low = low
        self.high = high
        self.max = max
    }
}

/// What a bank does when one of its packs has no fresh data.
public enum Failsafe: String, Sendable, Equatable {
    /// Charge and discharge current limits go to 0 A until fresh data returns (default).
    case zero
    /// Keep serving the packs still online, each with its share; offline packs count 0 A.
    case share
}

/// Limits configured on a bank (`limits:` of a bank). Every rule is off unless its
/// settings are given, except the failsafe, which is always on.
public struct BankLimitsConfig: Sendable, Equatable {
    /// Charge voltage limit, V.
    public var chargeVoltage: Double?
    /// Maximum charge current of the whole bank, A.
    public var chargeCurrent: Double?
    /// Maximum discharge current of the whole bank, A.
    public var dischargeCurrent: Double?
    /// Cell voltage at which the charge current reaches 0 A; also caps the charge voltage
    /// limit at cells in series x this value.
    public var cellVoltageMax: Double?
    /// Highest-cell voltage where the charge current starts tapering towards 0 A.
    public var taperStart: Double?
    /// Charge derating by temperature.
    public var chargeTemperature: TemperatureWindow?
    /// Discharge derating by temperature.
    public var dischargeTemperature: TemperatureWindow?
    /// No discharge at or below this bank SoC, %.
    public var reserveSoc: Double?
    /// Behaviour with an offline pack.
    public var failsafe: Failsafe = .zero

    /// No limits configured.
    public init() {}
}

/// Limits configured on a pack (`limits:` of a pack): its own maxima.
public struct PackLimitsConfig: Sendable, Equatable {
    /// Maximum charge current of this pack, A.
    public var chargeCurrent: Double?
    /// Maximum discharge current of this pack, A.
    public var dischargeCurrent: Double?
    /// Charge voltage limit of this pack, V.
    public var chargeVoltage: Double?

    /// No limits configured.
    public init() {}
}
