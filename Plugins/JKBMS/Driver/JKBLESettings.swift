import BMSDriverKit

/// The settings answer (type 0x01) of the JK02 generations: the protection parameters the
/// BMS works with, as extras. Values are little-endian; voltages and currents in 0.001,
/// temperatures in 0.1 °C (the under-temperature ones signed), delays in seconds.
public enum JKBLESettings {
    /// (offset, extra name, scale, signed).
    static let fields: [(Int, String, Double, Bool)] = [
        (6, "smart_sleep_voltage", 0.001, false), (10, "cell_undervoltage_protection", 0.001, false),
        (14, "cell_undervoltage_recovery", 0.001, false), (18, "cell_overvoltage_protection", 0.001, false),
        (22, "cell_overvoltage_recovery", 0.001, false), (26, "balance_trigger_voltage", 0.001, false),
        (30, "soc_100_voltage", 0.001, false), (34, "soc_0_voltage", 0.001, false),
        (38, "cell_request_charge_voltage", 0.001, false), (42, "cell_request_float_voltage", 0.001, false),
        (46, "power_off_voltage", 0.001, false), (50, "max_charge_current", 0.001, false),
        (54, "charge_overcurrent_delay", 1, false), (58, "charge_overcurrent_recovery_time", 1, false),
        (62, "max_discharge_current", 0.001, false), (66, "discharge_overcurrent_delay", 1, false),
        (70, "discharge_overcurrent_recovery_time", 1, false), (74, "short_circuit_recovery_time", 1, false),
        (78, "max_balance_current", 0.001, false), (82, "charge_overtemperature_protection", 0.1, false),
        (86, "charge_overtemperature_recovery", 0.1, false), (90, "discharge_overtemperature_protection", 0.1, false),
        (94, "discharge_overtemperature_recovery", 0.1, false), (98, "charge_undertemperature_protection", 0.1, true),
        (102, "charge_undertemperature_recovery", 0.1, true), (106, "mos_overtemperature_protection", 0.1, true),
        (110, "mos_overtemperature_recovery", 0.1, true), (130, "nominal_capacity", 0.001, false),
        (138, "balance_start_voltage", 0.001, false),
    ]

    /// The settings of a checked 300-byte answer of type 0x01, as (name, value) pairs.
    public static func decode(_ f: [UInt8]) throws(DriverError) -> [(String, Double)] {
        guard try JKBLEFrame.check(f) == .settings else { throw .frame("not a JK BLE settings answer") }
        var out: [(String, Double)] = []
        for (offset, name, scale, signed) in fields {
            let raw = JKBLECellInfo.u32(f, offset)
            let v = signed ? Double(Int32(bitPattern: raw)) : Double(raw)
            out.append((name, (v * scale * 1000).rounded() / 1000))
        }
        out.append(("cell_count_setting", Double(f[114])))
        out.append(("charge_switch", Double(f[118])))
        out.append(("discharge_switch", Double(f[122])))
        out.append(("balancer_switch", Double(f[126])))
        return out
    }
}
