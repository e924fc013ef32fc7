import Foundation

extension Reading {
    /// The Reading JSON of DESIGN.md: fields a BMS does not report are omitted.
    public func json(online: Bool) -> JSONValue {
        var tree = JSONTreeBuilder()
        emit(online: online, to: &tree)
        return tree.result
    }

    /// The Reading JSON as compact text (what `json(online:)` renders to), written directly.
    public func jsonText(online: Bool) -> String {
        var writer = JSONWriter(capacity: 512 + 40 * extras.count + 8 * cells.count)
        emit(online: online, to: &writer)
        return writer.text
    }

    /// Produces the Reading JSON object into `out`.
    public func emit<E: JSONEmitter>(online: Bool, to out: inout E) {
        out.beginObject()
        emitMembers(online: online, to: &out)
        out.endObject()
    }

    /// The members of the Reading JSON object, for a caller that adds its own after them.
    public func emitMembers<E: JSONEmitter>(online: Bool, to o: inout E) {
        o.member("pack", pack)
        o.member("driver", driver)
        o.member("time", ISOTime.format(time))
        o.member("online", online)
        // The measurements by their catalog names (one vocabulary for JSON, metrics, HA).
        for (field, value) in FieldCatalog.packMeasurements { o.member(field.name, value(self)) }
        if !cells.isEmpty {
            o.member(FieldCatalog.cell.name, numbers: cells)
            for (field, value) in FieldCatalog.cellStatistics { o.member(field.name, value(self)) }
        }
        if !temperatures.isEmpty { o.member(FieldCatalog.temperature.name, numbers: temperatures) }
        for (field, value) in FieldCatalog.packTemperatures { o.member(field.name, value(self)) }
        if !cells.isEmpty {
            o.key("balancing")
            o.beginArray()
            for cell in balancing { o.number(Double(cell)) }
            o.endArray()
        }
        o.member("charge_enabled", chargeEnabled)
        o.member("discharge_enabled", dischargeEnabled)
        o.key("alarms")
        o.beginArray()
        for alarm in alarms { o.string(alarm.rawValue) }
        o.endArray()
        o.member("status", strings: status)
        if !identity.isEmpty {
            o.key("identity")
            o.beginObject()
            for (k, v) in [("model", identity.model), ("serial", identity.serial), ("hardware", identity.hardware),
                           ("firmware", identity.firmware), ("manufacturer", identity.manufacturer)] where !v.isEmpty {
                o.member(k, v)
            }
            o.endObject()
        }
        let shared = sharedExtras
        if !shared.list.isEmpty {
            o.key("extras")
            o.beginObject()
            // Written once per chunk of unchanged extras: later readings copy the bytes.
            let extras = shared.list, first = shared.firstOfName
            for (k, cache) in shared.chunks.enumerated() {
                o.cachedMembers(cache) { o in
                    for i in k * ReadingExtras.chunkSize..<min(extras.count, (k + 1) * ReadingExtras.chunkSize) where first[i] {
                        switch extras[i].value {
                        case .number(let n): o.member(extras[i].name, n)
                        case .text(let t): o.member(extras[i].name, t)
                        }
                    }
                }
            }
            o.endObject()
        }
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
