import CBMSDriver

/// The canonical alarm set shared by every driver (DESIGN.md); vendor texts stay in `status`.
public struct Alarms: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let cellOvervoltage = Alarms(rawValue: UInt64(BMS_ALARM_CELL_OVERVOLTAGE.rawValue))
    public static let cellUndervoltage = Alarms(rawValue: UInt64(BMS_ALARM_CELL_UNDERVOLTAGE.rawValue))
    public static let packOvervoltage = Alarms(rawValue: UInt64(BMS_ALARM_PACK_OVERVOLTAGE.rawValue))
    public static let packUndervoltage = Alarms(rawValue: UInt64(BMS_ALARM_PACK_UNDERVOLTAGE.rawValue))
    public static let chargeOvercurrent = Alarms(rawValue: UInt64(BMS_ALARM_CHARGE_OVERCURRENT.rawValue))
    public static let dischargeOvercurrent = Alarms(rawValue: UInt64(BMS_ALARM_DISCHARGE_OVERCURRENT.rawValue))
    public static let shortCircuit = Alarms(rawValue: UInt64(BMS_ALARM_SHORT_CIRCUIT.rawValue))
    public static let chargeOvertemperature = Alarms(rawValue: UInt64(BMS_ALARM_CHARGE_OVERTEMPERATURE.rawValue))
    public static let chargeUndertemperature = Alarms(rawValue: UInt64(BMS_ALARM_CHARGE_UNDERTEMPERATURE.rawValue))
    public static let dischargeOvertemperature = Alarms(rawValue: UInt64(BMS_ALARM_DISCHARGE_OVERTEMPERATURE.rawValue))
    public static let dischargeUndertemperature = Alarms(rawValue: UInt64(BMS_ALARM_DISCHARGE_UNDERTEMPERATURE.rawValue))
    public static let mosOvertemperature = Alarms(rawValue: UInt64(BMS_ALARM_MOS_OVERTEMPERATURE.rawValue))
    public static let cellImbalance = Alarms(rawValue: UInt64(BMS_ALARM_CELL_IMBALANCE.rawValue))
    public static let lowSoc = Alarms(rawValue: UInt64(BMS_ALARM_LOW_SOC.rawValue))
    public static let sensorFault = Alarms(rawValue: UInt64(BMS_ALARM_SENSOR_FAULT.rawValue))
    public static let communication = Alarms(rawValue: UInt64(BMS_ALARM_COMMUNICATION.rawValue))
    public static let internalFault = Alarms(rawValue: UInt64(BMS_ALARM_INTERNAL_FAULT.rawValue))

    /// Every canonical alarm with its DESIGN.md name, in bit order.
    public static let named: [(name: String, alarm: Alarms)] = [
        ("cell_overvoltage", .cellOvervoltage), ("cell_undervoltage", .cellUndervoltage),
        ("pack_overvoltage", .packOvervoltage), ("pack_undervoltage", .packUndervoltage),
        ("charge_overcurrent", .chargeOvercurrent), ("discharge_overcurrent", .dischargeOvercurrent),
        ("short_circuit", .shortCircuit), ("charge_overtemperature", .chargeOvertemperature),
        ("charge_undertemperature", .chargeUndertemperature),
        ("discharge_overtemperature", .dischargeOvertemperature),
        ("discharge_undertemperature", .dischargeUndertemperature),
        ("mos_overtemperature", .mosOvertemperature), ("cell_imbalance", .cellImbalance),
        ("low_soc", .lowSoc), ("sensor_fault", .sensorFault), ("communication", .communication),
        ("internal_fault", .internalFault),
    ]

    /// The canonical names of the alarms in this set, in bit order.
    public var names: [String] { Self.named.filter { contains($0.alarm) }.map(\.name) }

    /// The alarm with a canonical name, or nil.
    public init?(name: String) {
        guard let hit = Self.named.first(where: { $0.name == name }) else { return nil }
        self = hit.alarm
    }
}
