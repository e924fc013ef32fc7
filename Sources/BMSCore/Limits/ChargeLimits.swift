/// Which rule limited a value. The raw value is the bit in the Modbus "limit reasons"
/// register; the name is what JSON and logs show.
public enum LimitRule: Int, Sendable, CaseIterable {
    /// A pack of the bank has no fresh data (failsafe).
    case packOffline = 0
    /// No pack of the bank has fresh data.
    case noData = 1
    /// No maximum current is configured or reported for a pack.
    case notConfigured = 2
    /// The highest cell is in the taper band (charge).
    case cellTaper = 3
    /// Temperature outside the full-current window.
    case temperature = 4
    /// No temperature is known while a temperature window is configured.
    case temperatureUnknown = 5
    /// Bank SoC at or below the reserve (discharge).
    case reserveSoc = 6
    /// An alarm concerning this direction is active.
    case alarm = 7
    /// The BMS has switched this direction off (MOSFET off).
    case bmsDisabled = 8
    /// Two packs of the bank report the same serial number (one device counted twice).
    case duplicatePack = 9
    /// The charge voltage is held down to keep the highest cell under `cell_voltage_max`.
    case cellVoltage = 10
    /// A limit that may rise is waiting its hold or ramping up.
    case ramp = 11
    /// A remote limit (HTTP, MQTT) holds it lower for a time.
    case remote = 12

    /// The name used in JSON.
    public var name: String {
        switch self {
        case .packOffline: "pack_offline"
        case .noData: "no_data"
        case .notConfigured: "not_configured"
        case .cellTaper: "cell_taper"
        case .temperature: "temperature"
        case .temperatureUnknown: "temperature_unknown"
        case .reserveSoc: "reserve_soc"
        case .alarm: "alarm"
        case .bmsDisabled: "bms_disabled"
        case .duplicatePack: "duplicate_pack"
        case .cellVoltage: "cell_voltage"
        case .ramp: "ramp"
        case .remote: "remote"
        }
    }
}

/// Direction of current a rule concerns.
public enum LimitDirection: String, Sendable {
    case charge
    case discharge
}

/// Why a limit is below the plain maximum: one rule, one direction, a human detail.
public struct LimitReason: Sendable, Equatable {
    public var rule: LimitRule
    public var direction: LimitDirection
    /// e.g. "pack p2 offline", "highest cell 3.520 V (p1)".
    public var detail: String

    /// `"charge: cell_taper (highest cell 3.520 V in p1)"`.
    public var text: String { "\(direction.rawValue): \(rule.name) (\(detail))" }
}

/// What an inverter may do with a bank right now.
public struct ChargeLimits: Sendable, Equatable {
    /// Charge voltage limit, V; nil when nothing sets one.
    public var chargeVoltage: Double?
    /// Charge current limit, A (>= 0).
    public var chargeCurrent: Double
    /// Discharge current limit, A (>= 0).
    public var dischargeCurrent: Double
    /// Every rule that lowered a limit, in rule order.
    public var reasons: [LimitReason]

    /// Limits as given.
    public init(chargeVoltage: Double?, chargeCurrent: Double, dischargeCurrent: Double, reasons: [LimitReason]) {
        self.chargeVoltage = chargeVoltage
        self.chargeCurrent = chargeCurrent
        self.dischargeCurrent = dischargeCurrent
        self.reasons = reasons
    }

    /// Bit mask of the rules that lowered the charge (low 16 bits) and discharge
    /// (high 16 bits) current: bit = `LimitRule.rawValue`.
    public var reasonMask: UInt32 {
        reasons.reduce(0) { mask, r in
            mask | (UInt32(1) << UInt32(r.rule.rawValue + (r.direction == .charge ? 0 : 16)))
        }
    }

    /// True when `rule` lowered `direction`.
    public func limited(by rule: LimitRule, _ direction: LimitDirection) -> Bool {
        reasons.contains { $0.rule == rule && $0.direction == direction }
    }
}
