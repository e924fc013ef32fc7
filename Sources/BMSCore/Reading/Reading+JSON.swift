import Foundation

extension Reading {
    /// The Reading JSON of DESIGN.md: fields a BMS does not report are omitted.
    public func json(online: Bool) -> JSONValue {
        var o = JSONObject()
        o["pack"] = .string(pack)
        o["driver"] = .string(driver)
        o["time"] = .string(ISOTime.format(time))
        o["online"] = .bool(online)
        o["voltage"] = voltage.map(JSONValue.number)
        o["current"] = current.map(JSONValue.number)
        o["power"] = power.map(JSONValue.number)
        o["soc"] = soc.map(JSONValue.number)
        o["soh"] = soh.map(JSONValue.number)
        o["remaining_capacity"] = remainingCapacity.map(JSONValue.number)
        o["full_capacity"] = fullCapacity.map(JSONValue.number)
        o["cycles"] = cycles.map(JSONValue.number)
        if !cells.isEmpty {
            o["cells"] = .array(cells.map(JSONValue.number))
            o["cell_min"] = cellMin.map(JSONValue.number)
            o["cell_max"] = cellMax.map(JSONValue.number)
            o["cell_avg"] = cellAvg.map(JSONValue.number)
            o["cell_delta"] = cellDelta.map(JSONValue.number)
        }
        if !temperatures.isEmpty { o["temperatures"] = .array(temperatures.map(JSONValue.number)) }
        o["mos_temperature"] = mosTemperature.map(JSONValue.number)
        o["ambient_temperature"] = ambientTemperature.map(JSONValue.number)
        if !cells.isEmpty { o["balancing"] = .array(balancing.map { .number(Double($0)) }) }
        o["charge_enabled"] = chargeEnabled.map(JSONValue.bool)
        o["discharge_enabled"] = dischargeEnabled.map(JSONValue.bool)
        o["alarms"] = .array(alarms.map { .string($0.rawValue) })
        o["status"] = .array(status.map(JSONValue.string))
        if !identity.isEmpty {
            var id = JSONObject()
            for (k, v) in [("model", identity.model), ("serial", identity.serial), ("hardware", identity.hardware),
                           ("firmware", identity.firmware), ("manufacturer", identity.manufacturer)] where !v.isEmpty {
                id[k] = .string(v)
            }
            o["identity"] = .object(id)
        }
        if !extras.isEmpty {
            var e = JSONObject()
            for (name, value) in extras {
                switch value {
                case .number(let n): e[name] = .number(n)
                case .text(let t): e[name] = .string(t)
                }
            }
            o["extras"] = .object(e)
        }
        return .object(o)
    }
}

/// ISO-8601 UTC timestamps with milliseconds, e.g. 2026-11-21T17:41:03.120Z.
public enum ISOTime {
    /// Formats a date.
    public static func format(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        let ms = Int((date.timeIntervalSince1970 - Double(t)) * 1000) % 1000
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let msText = ms < 10 ? "00\(ms)" : (ms < 100 ? "0\(ms)" : "\(ms)")
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(msText)Z"
    }
}
