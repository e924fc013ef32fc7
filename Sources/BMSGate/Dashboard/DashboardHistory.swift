import Foundation

/// The dashboard's history: per bank and per pack, one point a minute for the last 24 hours
/// (1440 points each, so memory is bounded by the site's size, not by time). A point holds
/// the minute's mean of each value, and the lowest / highest cell seen in it.
public final class DashboardHistory: @unchecked Sendable {
    /// Minutes kept.
    public static let capacity = 1440

    /// What a series holds, in order.
    static let bankFields = ["soc", "voltage", "current", "power", "charge_current_limit", "discharge_current_limit", "charge_voltage_limit"]
    static let packFields = ["soc", "voltage", "current", "cell_min", "cell_max"]

    struct Point {
        var minute: Int64
        var sums: [Double]
        var counts: [Int]
        /// For cell_min / cell_max: the extreme, not the mean.
        var extremes: [Double?]
    }

    final class Series {
        let kind: String
        let fields: [String]
        var points: [Point] = []
        var start = 0
        init(kind: String, fields: [String]) {
            self.kind = kind
            self.fields = fields
        }
    }

    private let lock = NSLock()
    private var series: [String: Series] = [:]
    private var order: [String] = []
    /// The last sequence recorded per pack: a snapshot adds only the packs that changed.
    private var recorded: [String: Int] = [:]

    /// An empty history.
    public init() {}

    /// Adds a snapshot's values to the current minute of every bank and pack.
    public func record(_ snap: Snapshot) {
        let minute = Int64(snap.time.timeIntervalSince1970 / 60)
        lock.lock()
        defer { lock.unlock() }
        for b in snap.banks {
            add("bank:" + b.id, kind: "bank", fields: Self.bankFields, minute: minute, values: [
                b.soc, b.voltage, b.current, b.power, b.limits.chargeCurrent, b.limits.dischargeCurrent, b.limits.chargeVoltage,
            ], extremes: [])
        }
        for p in snap.packs where p.online && recorded[p.id] != p.sequence {
            recorded[p.id] = p.sequence
            guard let r = p.reading else { continue }
            add("pack:" + p.id, kind: "pack", fields: Self.packFields, minute: minute,
                values: [r.soc, r.voltage, r.current, nil, nil], extremes: [(3, r.cells.min(), true), (4, r.cells.max(), false)])
        }
    }

    private func add(_ key: String, kind: String, fields: [String], minute: Int64, values: [Double?], extremes: [(Int, Double?, Bool)]) {
        let s: Series
        if let existing = series[key] { s = existing } else {
            s = Series(kind: kind, fields: fields)
            series[key] = s
            order.append(key)
        }
        let n = fields.count
        let lastIndex = s.points.isEmpty ? nil : (s.start + s.points.count - 1) % s.points.count
        if lastIndex == nil || s.points[lastIndex!].minute != minute {
            let fresh = Point(minute: minute, sums: Array(repeating: 0, count: n), counts: Array(repeating: 0, count: n),
                              extremes: Array(repeating: nil, count: n))
            if s.points.count < Self.capacity {
                s.points.append(fresh)
            } else {
                s.points[s.start] = fresh
                s.start = (s.start + 1) % Self.capacity
            }
        }
        let i = (s.start + s.points.count - 1) % s.points.count
        for (f, v) in values.enumerated() {
            if let v, v.isFinite {
                s.points[i].sums[f] += v
                s.points[i].counts[f] += 1
            }
        }
        for (f, v, lowest) in extremes {
            guard let v else { continue }
            if let old = s.points[i].extremes[f] {
                s.points[i].extremes[f] = lowest ? min(old, v) : max(old, v)
            } else {
                s.points[i].extremes[f] = v
            }
        }
    }

    /// The ids with a history: `bank:ID` and `pack:ID`.
    public var ids: [String] {
        lock.lock()
        defer { lock.unlock() }
        return order
    }

    /// One series as JSON: `{"id", "kind", "fields", "time": [unix seconds], "values": {field: [..]}}`;
    /// nil for an unknown id.
    public func json(_ key: String) -> JSONValue? {
        lock.lock()
        defer { lock.unlock() }
        guard let s = series[key] else { return nil }
        let points = (0..<s.points.count).map { s.points[(s.start + $0) % s.points.count] }
        var values = JSONObject()
        for (f, name) in s.fields.enumerated() {
            values[name] = .array(points.map { p in
                if let e = p.extremes[f] { return .number(e) }
                guard p.counts[f] > 0 else { return .null }
                return .number((p.sums[f] / Double(p.counts[f]) * 1000).rounded() / 1000)
            })
        }
        var o = JSONObject()
        o["id"] = .string(String(key.drop { $0 != ":" }.dropFirst()))
        o["kind"] = .string(s.kind)
        o["resolution_seconds"] = .number(60)
        o["fields"] = .array(s.fields.map(JSONValue.string))
        o["time"] = .array(points.map { .number(Double($0.minute * 60)) })
        o["values"] = .object(values)
        return .object(o)
    }
}
