/// The data identifiers of the NW protocol (JK's "BMS sets the data identification code"
/// table): size on the wire, access, how the value reads, and the range a write must
/// respect. This table is the one place that knows the layout; reading, writing, the
/// emulator and `decode` all use it.
public struct JKNWRegister: Sendable {
    /// F = read only, RW = read/write, W = write only (commands).
    public enum Access: Sendable { case read, readWrite, write }
    /// How the bytes read.
    public enum Kind: Sendable, Equatable {
        /// Unsigned big-endian integer times `scale`.
        case unsigned(scale: Double)
        /// Signed (two's complement) big-endian integer.
        case signed
        /// JK temperature: 0...100 is °C, above 100 is -(raw - 100) °C.
        case temperature
        /// ASCII text (NUL padding removed).
        case text
        /// Bit mask (kept as a number, decoded by the reading).
        case bits
        /// 0x79: a count byte, then (cell number, mV) triples.
        case cells
    }

    public var code: UInt8
    /// Extra name (and `command` name), e.g. `cell_overvoltage_protection`.
    public var name: String
    /// Bytes of data (0 for the variable-length cell list).
    public var size: Int
    public var access: Access
    public var kind: Kind
    /// Unit of the decoded value ("V", "A", "°C", "s", "%", "Ah", "min", "mA", "").
    public var unit: String
    /// Allowed values (in the decoded unit) for a write.
    public var range: ClosedRange<Double>?
    /// Never shown (the parameter password).
    public var secret = false

    init(_ code: UInt8, _ name: String, _ size: Int, _ access: Access, _ kind: Kind, _ unit: String = "",
         _ range: ClosedRange<Double>? = nil, secret: Bool = false) {
        self.code = code
        self.name = name
        self.size = size
        self.access = access
        self.kind = kind
        self.unit = unit
        self.range = range
        self.secret = secret
    }

    /// Every identifier of the table, in code order.
    public static let all: [JKNWRegister] = [
        .init(0x79, "cell_voltages", 0, .read, .cells, "V"),
        .init(0x80, "mos_temperature", 2, .read, .temperature, "°C"),
        .init(0x81, "box_temperature", 2, .read, .temperature, "°C"),
        .init(0x82, "battery_temperature", 2, .read, .temperature, "°C"),
        .init(0x83, "total_voltage", 2, .read, .unsigned(scale: 0.01), "V"),
        .init(0x84, "current_raw", 2, .read, .unsigned(scale: 1)),
        .init(0x85, "soc", 1, .read, .unsigned(scale: 1), "%"),
        .init(0x86, "temperature_sensors", 1, .read, .unsigned(scale: 1)),
        .init(0x87, "cycles", 2, .read, .unsigned(scale: 1)),
        .init(0x89, "cycle_capacity", 4, .read, .unsigned(scale: 1), "Ah"),
        .init(0x8A, "cell_count", 2, .read, .unsigned(scale: 1)),
        .init(0x8B, "warnings", 2, .read, .bits),
        .init(0x8C, "status_bits", 2, .read, .bits),
        .init(0x8E, "total_overvoltage_protection", 2, .readWrite, .unsigned(scale: 0.01), "V", 10...150),
        .init(0x8F, "total_undervoltage_protection", 2, .readWrite, .unsigned(scale: 0.01), "V", 10...150),
        .init(0x90, "cell_overvoltage_protection", 2, .readWrite, .unsigned(scale: 0.001), "V", 1...4.5),
        .init(0x91, "cell_overvoltage_recovery", 2, .readWrite, .unsigned(scale: 0.001), "V", 1...4.5),
        .init(0x92, "cell_overvoltage_delay", 2, .readWrite, .unsigned(scale: 1), "s", 1...60),
        .init(0x93, "cell_undervoltage_protection", 2, .readWrite, .unsigned(scale: 0.001), "V", 1...4.5),
        .init(0x94, "cell_undervoltage_recovery", 2, .readWrite, .unsigned(scale: 0.001), "V", 1...4.5),
        .init(0x95, "cell_undervoltage_delay", 2, .readWrite, .unsigned(scale: 1), "s", 1...60),
        .init(0x96, "cell_delta_protection", 2, .readWrite, .unsigned(scale: 0.001), "V", 0...1),
        .init(0x97, "discharge_overcurrent_protection", 2, .readWrite, .unsigned(scale: 1), "A", 1...1000),
        .init(0x98, "discharge_overcurrent_delay", 2, .readWrite, .unsigned(scale: 1), "s", 1...60),
        .init(0x99, "charge_overcurrent_protection", 2, .readWrite, .unsigned(scale: 1), "A", 1...1000),
        .init(0x9A, "charge_overcurrent_delay", 2, .readWrite, .unsigned(scale: 1), "s", 1...60),
        .init(0x9B, "balance_start_voltage", 2, .readWrite, .unsigned(scale: 0.001), "V", 2...4.5),
        .init(0x9C, "balance_trigger_delta", 2, .readWrite, .unsigned(scale: 0.001), "V", 0.01...1),
        .init(0x9D, "balancing_switch", 1, .readWrite, .unsigned(scale: 1), "", 0...1),
        .init(0x9E, "mos_overtemperature_protection", 2, .readWrite, .unsigned(scale: 1), "°C", 0...100),
        .init(0x9F, "mos_overtemperature_recovery", 2, .readWrite, .unsigned(scale: 1), "°C", 0...100),
        .init(0xA0, "box_overtemperature_protection", 2, .readWrite, .unsigned(scale: 1), "°C", 40...100),
        .init(0xA1, "box_overtemperature_recovery", 2, .readWrite, .unsigned(scale: 1), "°C", 40...100),
        .init(0xA2, "battery_temperature_delta_protection", 2, .readWrite, .unsigned(scale: 1), "°C", 5...20),
        .init(0xA3, "charge_overtemperature_protection", 2, .readWrite, .unsigned(scale: 1), "°C", 0...100),
        .init(0xA4, "discharge_overtemperature_protection", 2, .readWrite, .unsigned(scale: 1), "°C", 0...100),
        .init(0xA5, "charge_undertemperature_protection", 2, .readWrite, .signed, "°C", -45...25),
        .init(0xA6, "charge_undertemperature_recovery", 2, .readWrite, .signed, "°C", -45...25),
        .init(0xA7, "discharge_undertemperature_protection", 2, .readWrite, .signed, "°C", -45...25),
        .init(0xA8, "discharge_undertemperature_recovery", 2, .readWrite, .signed, "°C", -45...25),
        .init(0xA9, "cell_count_setting", 1, .readWrite, .unsigned(scale: 1), "", 3...32),
        .init(0xAA, "capacity_setting", 4, .readWrite, .unsigned(scale: 1), "Ah", 1...100_000),
        .init(0xAB, "charge_mos_switch", 1, .readWrite, .unsigned(scale: 1), "", 0...1),
        .init(0xAC, "discharge_mos_switch", 1, .readWrite, .unsigned(scale: 1), "", 0...1),
        .init(0xAD, "current_calibration", 2, .readWrite, .unsigned(scale: 0.001), "A", 0.1...20),
        .init(0xAE, "board_address", 1, .readWrite, .unsigned(scale: 1), "", 0...255),
        .init(0xAF, "battery_type", 1, .readWrite, .unsigned(scale: 1), "", 0...2),
        .init(0xB0, "sleep_wait_time", 2, .readWrite, .unsigned(scale: 1), "s", 0...65535),
        .init(0xB1, "low_capacity_alarm", 1, .readWrite, .unsigned(scale: 1), "%", 0...80),
        .init(0xB2, "parameter_password", 10, .readWrite, .text, "", nil, secret: true),
        .init(0xB3, "dedicated_charger_switch", 1, .readWrite, .unsigned(scale: 1), "", 0...1),
        .init(0xB4, "device_id", 8, .readWrite, .text),
        .init(0xB5, "manufacture_date", 4, .readWrite, .text),
        .init(0xB6, "working_time", 4, .readWrite, .unsigned(scale: 1), "min", 0...4_294_967_295),
        .init(0xB7, "software_version", 15, .read, .text),
        .init(0xB8, "current_calibration_start", 1, .readWrite, .unsigned(scale: 1), "", 0...1),
        .init(0xB9, "actual_capacity", 4, .readWrite, .unsigned(scale: 1), "Ah", 0...100_000),
        .init(0xBA, "manufacturer_id", 24, .readWrite, .text),
        .init(0xBB, "restart", 1, .write, .unsigned(scale: 1), "", 1...1),
        .init(0xBC, "factory_reset", 1, .write, .unsigned(scale: 1), "", 1...1),
        .init(0xBD, "remote_upgrade", 1, .write, .unsigned(scale: 1), "", 1...1),
        .init(0xBE, "gps_off_cell_voltage", 2, .write, .unsigned(scale: 0.001), "V", 1...4.5),
        .init(0xBF, "gps_on_cell_voltage", 2, .write, .unsigned(scale: 0.001), "V", 1...4.5),
        .init(0xC0, "protocol_version", 1, .read, .unsigned(scale: 1)),
    ]

    /// The register with `code`.
    public static func code(_ code: UInt8) -> JKNWRegister? { all.first { $0.code == code } }
    /// The register named `name` (or given as "0x90").
    public static func named(_ name: String) -> JKNWRegister? {
        if name.hasPrefix("0x") || name.hasPrefix("0X"), let c = UInt8(name.dropFirst(2), radix: 16) { return code(c) }
        return all.first { $0.name == name }
    }

    /// A value of this register from its bytes.
    public func value(_ bytes: ArraySlice<UInt8>) -> JKNWValue {
        switch kind {
        case .unsigned(let scale):
            let raw = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return .number((Double(raw) * scale * 1_000_000).rounded() / 1_000_000)
        case .signed:
            let raw = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let bits = UInt64(bytes.count * 8)
            let signed = raw >= (1 << (bits - 1)) ? Int64(raw) - Int64(1 << bits) : Int64(raw)
            return .number(Double(signed))
        case .temperature:
            let raw = Double(bytes.reduce(0) { $0 << 8 | Int($1) })
            return .number(raw > 100 ? -(raw - 100) : raw)
        case .text:
            let trimmed = bytes.prefix { $0 != 0 }
            return .text(String(decoding: trimmed, as: UTF8.self).trimmingSpaces)
        case .bits:
            return .number(Double(bytes.reduce(0) { $0 << 8 | Int($1) }))
        case .cells:
            return .number(0)
        }
    }

    /// The bytes of `value` for a write (range checked by the caller).
    public func encode(_ value: JKNWValue) -> [UInt8]? {
        switch (kind, value) {
        case (.unsigned(let scale), .number(let v)):
            let raw = UInt64((v / scale).rounded())
            return (0..<size).reversed().map { UInt8(raw >> UInt64($0 * 8) & 0xFF) }
        case (.bits, .number(let v)):
            let raw = UInt64(v)
            return (0..<size).reversed().map { UInt8(raw >> UInt64($0 * 8) & 0xFF) }
        case (.signed, .number(let v)):
            let raw = UInt64(bitPattern: Int64(v.rounded()))
            return (0..<size).reversed().map { UInt8(raw >> UInt64($0 * 8) & 0xFF) }
        case (.temperature, .number(let v)):
            let raw = v < 0 ? Int(-v) + 100 : Int(v)
            return (0..<size).reversed().map { UInt8(raw >> ($0 * 8) & 0xFF) }
        case (.text, .text(let t)):
            let bytes = Array(t.utf8.prefix(size))
            return bytes + [UInt8](repeating: 0, count: size - bytes.count)
        default:
            return nil
        }
    }
}

/// A decoded NW value.
public enum JKNWValue: Sendable, Equatable {
    case number(Double)
    case text(String)
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        while s.first == " " { s.removeFirst() }
        return String(s)
    }
}
