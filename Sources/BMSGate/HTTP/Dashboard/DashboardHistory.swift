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
    /// What was recorded: a snapshot adds the packs that changed (once per result), and each
    /// bank when it changed or a second after its last sample (so an idle bank still gets
    /// its points); series are found by index, not by building their key each time.
    private var cursor = SnapshotCursor()
    private weak var layout: SiteLayout?
    private var bankSeries: [Series] = []
    private var packSeries: [Series] = []
    private var bankSampled: [Double] = []

    /// An empty history.
    public init() {}

    /// Adds a snapshot's values to the current minute of the banks and packs it changed.
    public func record(_ snap: Snapshot) {
        let minute = Int64(snap.time.timeIntervalSince1970 / 60)
        let now = snap.time.timeIntervalSince1970
        lock.lock()
        defer { lock.unlock() }
        if layout !== snap.layout {
            layout = snap.layout
            cursor = SnapshotCursor()
            bankSeries = snap.banks.map { series(for: "bank:" + $0.id, kind: "bank", fields: Self.bankFields) }
            packSeries = snap.packs.map { series(for: "pack:" + $0.id, kind: "pack", fields: Self.packFields) }
            bankSampled = Array(repeating: -.infinity, count: snap.banks.count)
        }
        let changes = cursor.changes(in: snap)
        var due = Array(repeating: false, count: snap.banks.count)
        for b in changes.banks { due[b] = true }
        for b in snap.banks.indices where due[b] || now - bankSampled[b] >= 1 || now < bankSampled[b] {
            bankSampled[b] = now
            let bank = snap.banks[b]
            add(bankSeries[b], minute: minute, values: [
                bank.soc, bank.voltage, bank.current, bank.power, bank.command.limits.chargeCurrent, bank.command.limits.dischargeCurrent,
                bank.command.limits.chargeVoltage,
            ], extremes: [])
        }
        for i in cursor.newReadings {
            let p = snap.packs[i]
            guard p.online, let r = p.reading else { continue }
            add(packSeries[i], minute: minute, values: [r.soc, r.voltage, r.current, nil, nil],
                extremes: [(3, r.cellMin, true), (4, r.cellMax, false)])
        }
    }

    /// The series of `key`, made (and listed) when new.
    private func series(for key: String, kind: String, fields: [String]) -> Series {
        if let existing = series[key] { return existing }
        let s = Series(kind: kind, fields: fields)
        series[key] = s
        order.append(key)
        return s
    }

    private func add(_ s: Series, minute: Int64, values: [Double?], extremes: [(Int, Double?, Bool)]) {
        let fields = s.fields
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
