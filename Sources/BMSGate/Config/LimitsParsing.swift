import Yams

/// Reads the `limits:` sections of banks and packs.
enum LimitsParsing {
    static let currentRange = 0.0...100_000.0
    static let voltageRange = 0.0...2_000.0

    static func bank(_ node: Node, what: String, _ d: ConfigDiagnostics) -> BankLimitsConfig {
        var limits = BankLimitsConfig()
        guard let s = YAMLSection(node, what: what, diagnostics: d) else { return limits }
        s.reject(unknownBut: ["charge_voltage", "charge_current", "discharge_current", "cell_voltage_max", "taper_start",
                              "charge_temperature", "discharge_temperature", "reserve_soc", "discharge_voltage"])
        limits.chargeVoltage = s.number("charge_voltage", in: voltageRange)
        limits.chargeCurrent = s.number("charge_current", in: currentRange)
        limits.dischargeCurrent = s.number("discharge_current", in: currentRange)
        limits.cellVoltageMax = s.number("cell_voltage_max", in: 0.5...6)
        limits.taperStart = s.number("taper_start", in: 0.5...6)
        if let start = limits.taperStart {
            if let end = limits.cellVoltageMax {
                if start >= end { d.report(s.value("taper_start"), "'taper_start' in \(what) must be below 'cell_voltage_max' (\(end) V)") }
            } else {
                d.report(s.value("taper_start"), "'taper_start' in \(what) needs 'cell_voltage_max' (where the charge current reaches 0 A)")
            }
        }
        limits.chargeTemperature = s.value("charge_temperature").flatMap { window($0, what: "'charge_temperature' in \(what)", d) }
        limits.dischargeTemperature = s.value("discharge_temperature").flatMap { window($0, what: "'discharge_temperature' in \(what)", d) }
        limits.reserveSoc = s.number("reserve_soc", in: 0...100)
        return limits
    }

    static func pack(_ node: Node, what: String, _ d: ConfigDiagnostics) -> PackLimitsConfig {
        var limits = PackLimitsConfig()
        guard let s = YAMLSection(node, what: what, diagnostics: d) else { return limits }
        s.reject(unknownBut: ["charge_voltage", "charge_current", "discharge_current"])
        limits.chargeVoltage = s.number("charge_voltage", in: voltageRange)
        limits.chargeCurrent = s.number("charge_current", in: currentRange)
        limits.dischargeCurrent = s.number("discharge_current", in: currentRange)
        return limits
    }

    /// `{min, low, high, max}` in °C; `low`/`high` default to `min`/`max` (no derating).
    static func window(_ node: Node, what: String, _ d: ConfigDiagnostics) -> TemperatureWindow? {
        guard let s = YAMLSection(node, what: what, diagnostics: d) else { return nil }
        s.reject(unknownBut: ["min", "low", "high", "max"])
        guard let lo = s.number("min", in: -100...200), let hi = s.number("max", in: -100...200) else {
            if s.value("min") == nil || s.value("max") == nil { d.report(node, "\(what) needs 'min' and 'max' (°C, 0 A at or beyond them)") }
            return nil
        }
        let w = TemperatureWindow(min: lo, low: s.number("low", in: -100...200) ?? lo,
                                  high: s.number("high", in: -100...200) ?? hi, max: hi)
        guard w.min < w.max, w.min <= w.low, w.low <= w.high, w.high <= w.max else {
            d.report(node, "\(what) must satisfy min <= low <= high <= max with min < max")
            return nil
        }
        return w
    }
}
