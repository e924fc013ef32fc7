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
    /// Formats a date as `YYYY-MM-DDThh:mm:ss.mmmZ` (UTC), digit by digit into one small
    /// buffer: it runs for every line a sink writes.
    public static func format(_ date: Date) -> String {
        // To the nearest millisecond (x.007 s is stored as x.00699999... s).
        let total = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var t = time_t(total >= 0 ? total / 1000 : (total - 999) / 1000)
        let ms = Int(total - Int64(t) * 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            var i = 0
            func put(_ value: Int, digits: Int) {
                var v = max(0, value)
                var d = digits
                while d > 0 {
                    d -= 1
                    buffer[i + d] = UInt8(48 + v % 10)
                    v /= 10
                }
                i += digits
            }
            func put(_ c: UInt8) { buffer[i] = c; i += 1 }
            put(Int(parts.tm_year) + 1900, digits: 4); put(0x2D)
            put(Int(parts.tm_mon) + 1, digits: 2); put(0x2D)
            put(Int(parts.tm_mday), digits: 2); put(0x54)
            put(Int(parts.tm_hour), digits: 2); put(0x3A)
            put(Int(parts.tm_min), digits: 2); put(0x3A)
            put(Int(parts.tm_sec), digits: 2); put(0x2E)
            put(ms, digits: 3); put(0x5A)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[..<i]), as: UTF8.self)
        }
    }
}
