/// bq78350 Data Flash parameters (0x4000-0x47FF) by class: address, type and unit, with
/// the values the emulator starts with. Values are little-endian in Data Flash.
public enum BQ78350DataFlash {
    /// Parameter types: signed/unsigned 1, 2 or 4 bytes, hex bytes.
    public enum ValueType: String, Sendable {
        case i1 = "I1", i2 = "I2", u1 = "U1", u2 = "U2", u4 = "U4", h1 = "H1", h2 = "H2"
        public var size: Int { [.i1, .u1, .h1].contains(self) ? 1 : (self == .u4 ? 4 : 2) }
        public var signed: Bool { self == .i1 || self == .i2 }
    }

    public struct Parameter: Sendable {
        public var className: String
        public var subclass: String
        public var name: String
        public var address: UInt16
        public var type: ValueType
        public var unit: String
        public var initial: Int
    }

    static func p(_ c: String, _ s: String, _ n: String, _ a: UInt16, _ t: ValueType, _ u: String, _ v: Int) -> Parameter {
        Parameter(className: c, subclass: s, name: n, address: a, type: t, unit: u, initial: v)
    }

    public static let start: UInt16 = 0x4000
    public static let end: UInt16 = 0x47FF

    public static let parameters: [Parameter] = [
        p("calibration", "Current", "Capacity Gain", 0x4004, .u4, "", 0x0001_0000),
        p("calibration", "Voltage", "Cell1 Offset", 0x4008, .i1, "mV", 0),
        p("calibration", "Voltage", "Cell2 Offset", 0x4009, .i1, "mV", 0),
        p("calibration", "Voltage", "Cell3 Offset", 0x400A, .i1, "mV", 0),
        p("calibration", "Voltage", "Cell4 Offset", 0x400B, .i1, "mV", 0),
        p("calibration", "Current Offset", "CC Offset", 0x4018, .i2, "", 0),
        p("calibration", "Temperature", "T1 Temp Offset", 0x401E, .i1, "0.1degC", 0),
        p("calibration", "Temperature", "T2 Temp Offset", 0x401F, .i1, "0.1degC", 0),
        p("system_data", "SBS Configuration", "Manufacture Date", 0x406B, .u2, "", 0x5275),
        p("system_data", "SBS Configuration", "Serial Number", 0x406D, .h2, "", 0x04D2),
        p("system_data", "SBS Configuration", "Remaining AH Cap Alarm", 0x449F, .i2, "mAh", 300),
        p("system_data", "SBS Configuration", "Remaining Time Alarm", 0x44A3, .u2, "min", 10),
        p("gas_gauging", "State", "Learned Full Charge Capacity", 0x42C2, .i2, "mAh", 3000),
        p("gas_gauging", "State", "Cycle Count", 0x42C6, .u2, "", 18),
        p("gas_gauging", "Current Thresholds", "Dsg Current Threshold", 0x44BD, .i2, "mA", 100),
        p("gas_gauging", "Current Thresholds", "Chg Current Threshold", 0x44BF, .i2, "mA", 50),
        p("gas_gauging", "Current Thresholds", "Quit Current", 0x44C1, .i2, "mA", 10),
        p("gas_gauging", "Current Thresholds", "Dsg Relax Time", 0x44C3, .u1, "s", 60),
        p("gas_gauging", "Current Thresholds", "Chg Relax Time", 0x44C4, .u1, "s", 60),
        p("gas_gauging", "Design", "Design Capacity mAh", 0x45CC, .i2, "mAh", 3000),
        p("gas_gauging", "Design", "Design Capacity cWh", 0x45CE, .i2, "cWh", 4440),
        p("gas_gauging", "Design", "Design Voltage", 0x45D0, .i2, "mV", 14800),
        p("gas_gauging", "Cycle", "Cycle Count Percentage", 0x45D2, .u1, "%", 90),
        p("gas_gauging", "FD", "Set % RSOC Threshold", 0x45D6, .u1, "%", 0),
        p("gas_gauging", "FD", "Clear % RSOC Threshold", 0x45D7, .u1, "%", 5),
        p("gas_gauging", "FC", "Set % RSOC Threshold", 0x45D8, .u1, "%", 100),
        p("gas_gauging", "FC", "Clear % RSOC Threshold", 0x45D9, .u1, "%", 95),
        p("protections", "CUV", "Threshold", 0x44CC, .i2, "mV", 2500),
        p("protections", "CUV", "Delay", 0x44CE, .u1, "s", 2),
        p("protections", "CUV", "Recovery", 0x44CF, .i2, "mV", 3000),
        p("protections", "COV", "Threshold", 0x44D1, .i2, "mV", 4300),
        p("protections", "COV", "Delay", 0x44D3, .u1, "s", 2),
        p("protections", "COV", "Recovery", 0x44D4, .i2, "mV", 3900),
        p("protections", "OCC", "Threshold", 0x44D6, .i2, "mA", 6000),
        p("protections", "OCC", "Delay", 0x44D8, .u1, "s", 6),
        p("protections", "OCD", "Threshold", 0x44DC, .i2, "mA", -6000),
        p("protections", "OCD", "Delay", 0x44DE, .u1, "s", 6),
        p("protections", "OTC", "Threshold", 0x44ED, .i2, "0.1degC", 550),
        p("protections", "OTC", "Recovery", 0x44F0, .i2, "0.1degC", 500),
        p("protections", "OTD", "Threshold", 0x44F2, .i2, "0.1degC", 600),
        p("protections", "OTD", "Recovery", 0x44F5, .i2, "0.1degC", 550),
        p("protections", "UTC", "Threshold", 0x44FC, .i2, "0.1degC", 0),
        p("protections", "UTD", "Threshold", 0x4501, .i2, "0.1degC", -200),
        p("charge_algorithm", "Fast Charging", "Voltage", 0x45E4, .i2, "mV", 4200),
        p("charge_algorithm", "Fast Charging", "Current", 0x45E6, .i2, "mA", 2000),
        p("charge_algorithm", "Pre-Charging", "Current", 0x45E8, .i2, "mA", 250),
        p("charge_algorithm", "Pre-Charging", "Start Voltage", 0x45EA, .i2, "mV", 3000),
        p("charge_algorithm", "Termination Config", "Charge Term Taper Current", 0x45EE, .i2, "mA", 250),
        p("charge_algorithm", "Cell Balancing Config", "Cell Balance Threshold", 0x460D, .i2, "mV", 3900),
        p("charge_algorithm", "Cell Balancing Config", "Cell Balance Window", 0x460F, .i2, "mV", 100),
        p("power", "Shutdown", "Shutdown Voltage", 0x4475, .i2, "mV", 2300),
        p("power", "Shutdown", "Shutdown Time", 0x4477, .u1, "s", 10),
        p("power", "Sleep", "Sleep Current", 0x447D, .i2, "mA", 10),
        p("power", "Sleep", "Bus Timeout", 0x447F, .u1, "s", 5),
        p("settings", "Protection", "Enabled Protections A", 0x44C6, .h1, "", 0xFF),
        p("settings", "Protection", "Enabled Protections B", 0x44C7, .h1, "", 0x3F),
        p("settings", "Configuration", "FET Options", 0x445F, .h1, "", 0x00),
    ]

    /// Class names in table order.
    public static var classes: [String] {
        var seen: [String] = []
        for p in parameters where !seen.contains(p.className) { seen.append(p.className) }
        return seen
    }

    /// Decodes a parameter from its little-endian bytes.
    public static func decode(_ bytes: ArraySlice<UInt8>, _ type: ValueType) -> Int {
        let raw = bytes.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard type.signed else { return raw }
        let bits = type.size * 8
        return raw >= 1 << (bits - 1) ? raw - (1 << bits) : raw
    }

    /// Little-endian bytes of `value` (nil when it does not fit).
    public static func encode(_ value: Int, size: Int, signed: Bool) -> [UInt8]? {
        let bits = size * 8
        let range = signed ? -(1 << (bits - 1))...((1 << (bits - 1)) - 1) : 0...((1 << bits) - 1)
        guard range.contains(value) else { return nil }
        let raw = value < 0 ? value + (1 << bits) : value
        return (0..<size).map { UInt8((raw >> (8 * $0)) & 0xFF) }
    }
}
