/// The canonical alarms every driver maps its vendor bits onto (DESIGN.md), in bit order:
/// bit i of `bms_reading.alarms`, of the Modbus `alarms` / SunSpec `EvtVnd1` bitfields and
/// of every list the gateway prints is `allCases[i]`. One type for the limit rules, Modbus,
/// metrics, MQTT and JSON, so a misspelt alarm does not compile.
public enum CanonicalAlarm: String, CaseIterable, Sendable, Comparable, CustomStringConvertible {
    case cellOvervoltage = "cell_overvoltage"
    case cellUndervoltage = "cell_undervoltage"
    case packOvervoltage = "pack_overvoltage"
    case packUndervoltage = "pack_undervoltage"
    case chargeOvercurrent = "charge_overcurrent"
    case dischargeOvercurrent = "discharge_overcurrent"
    case shortCircuit = "short_circuit"
    case chargeOvertemperature = "charge_overtemperature"
    case chargeUndertemperature = "charge_undertemperature"
    case dischargeOvertemperature = "discharge_overtemperature"
    case dischargeUndertemperature = "discharge_undertemperature"
    case mosOvertemperature = "mos_overtemperature"
    case cellImbalance = "cell_imbalance"
    case lowSoc = "low_soc"
    case sensorFault = "sensor_fault"
    case communication
    case internalFault = "internal_fault"
    /// Raised by the host, never by a driver: two packs of one bank report the same serial
    /// number (one device configured twice would double the bank's limits).
    case duplicatePack = "duplicate_pack"

    /// The alarms a driver can raise on a pack (`enum bms_alarm`); the others are the host's.
    public static let packAlarms = allCases.filter { $0 != .duplicatePack }

    /// `allCases` made once (the synthesized property builds a new array at every use).
    public static let ordered = allCases

    /// The alarm's bit (its position in `allCases`).
    public var bit: Int { Self.ordered.firstIndex(of: self)! }

    /// The alarm's name as every output shows it.
    public var description: String { rawValue }

    public static func < (a: CanonicalAlarm, b: CanonicalAlarm) -> Bool { a.bit < b.bit }

    /// The bit mask of `alarms` (bit i = `allCases[i]`).
    public static func mask(_ alarms: some Sequence<CanonicalAlarm>) -> UInt32 {
        alarms.reduce(0) { $0 | (1 << UInt32($1.bit)) }
    }

    /// The alarms whose bits are set in `mask`, in bit order (the inverse of `mask(_:)`).
    public static func alarms(in mask: UInt32) -> [CanonicalAlarm] {
        ordered.enumerated().filter { mask & (1 << UInt32($0.offset)) != 0 }.map(\.element)
    }
}
