import Foundation

extension Reading {
    /// The Reading JSON of DESIGN.md: fields a BMS does not report are omitted.
    public func json(online: Bool) -> JSONValue {
        var o = JSONObject()
        o.append("pack", .string(pack))
        o.append("driver", .string(driver))
        o.append("time", .string(ISOTime.format(time)))
        o.append("online", .bool(online))
        o.append("voltage", voltage.map(JSONValue.number))
        o.append("current", current.map(JSONValue.number))
        o.append("power", power.map(JSONValue.number))
        o.append("soc", soc.map(JSONValue.number))
        o.append("soh", soh.map(JSONValue.number))
        o.append("remaining_capacity", remainingCapacity.map(JSONValue.number))
        o.append("full_capacity", fullCapacity.map(JSONValue.number))
        o.append("cycles", cycles.map(JSONValue.number))
        if !cells.isEmpty {
            o.append("cells", .array(cells.map(JSONValue.number)))
            o.append("cell_min", cellMin.map(JSONValue.number))
            o.append("cell_max", cellMax.map(JSONValue.number))
            o.append("cell_avg", cellAvg.map(JSONValue.number))
            o.append("cell_delta", cellDelta.map(JSONValue.number))
        }
        if !temperatures.isEmpty { o.append("temperatures", .array(temperatures.map(JSONValue.number))) }
        o.append("mos_temperature", mosTemperature.map(JSONValue.number))
        o.append("ambient_temperature", ambientTemperature.map(JSONValue.number))
        if !cells.isEmpty { o.append("balancing", .array(balancing.map { .number(Double($0)) })) }
        o.append("charge_enabled", chargeEnabled.map(JSONValue.bool))
        o.append("discharge_enabled", dischargeEnabled.map(JSONValue.bool))
        o.append("alarms", .array(alarms.map { .string($0.rawValue) }))
        o.append("status", .array(status.map(JSONValue.string)))
        if !identity.isEmpty {
            var id = JSONObject()
            for (k, v) in [("model", identity.model), ("serial", identity.serial), ("hardware", identity.hardware),
                           ("firmware", identity.firmware), ("manufacturer", identity.manufacturer)] where !v.isEmpty {
                id.append(k, .string(v))
            }
            o.append("identity", .object(id))
        }
        if !extras.isEmpty {
            var e = JSONObject()
            var seen = Set<String>()
            for (name, value) in extras where seen.insert(name).inserted {
                switch value {
                case .number(let n): e.append(name, .number(n))
                case .text(let t): e.append(name, .string(t))
                }
            }
            o.append("extras", .object(e))
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
