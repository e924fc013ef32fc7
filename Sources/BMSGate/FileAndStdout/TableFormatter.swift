import Foundation

/// Renders a snapshot as a readable terminal table: one row per pack, one per bank.
public enum TableFormatter {
    /// The table text (ends with a newline).
    public static func render(_ s: Snapshot) -> String {
        var out = "── \(s.site) · \(ISOTime.format(s.time)) " + String(repeating: "─", count: 40) + "\n"
        let header = ["PACK", "STATE", "VOLT", "CURRENT", "SOC", "SOH", "CELL MIN/MAX", "Δ mV", "TEMP °C", "CYC", "ALARMS / ERROR"]
        var rows: [[String]] = [header]
        for p in s.packs {
            let r = p.reading
            let state = p.sequence == 0 ? "starting" : (p.online ? (p.lastError == nil ? "online" : "retry") : "OFFLINE")
            let cells = r.flatMap { r in r.cellMin.map { String(format: "%.3f/%.3f", $0, r.cellMax ?? $0) } } ?? "-"
            let delta = r?.cellDelta.map { String(format: "%.0f", $0 * 1000) } ?? "-"
            let temps = r.map { r -> String in
                let all = r.temperatures + [r.mosTemperature, r.ambientTemperature].compactMap { $0 }
                guard let lo = all.min(), let hi = all.max() else { return "-" }
                return lo == hi ? String(format: "%.0f", lo) : String(format: "%.0f..%.0f", lo, hi)
            } ?? "-"
            var note = r?.alarms.map(\.rawValue).joined(separator: ",") ?? ""
            if let e = p.lastError { note = (note.isEmpty ? "" : note + " ") + e }
            if note.isEmpty { note = "-" }
            let show = p.online ? r : nil
            rows.append([p.id, state, fmt(show?.voltage, "%.2fV"), fmt(show?.current, "%+.2fA"), fmt(show?.soc, "%.2f%%"),
                         fmt(show?.soh, "%.0f%%"), p.online ? cells : "-", p.online ? delta : "-", p.online ? temps : "-",
                         fmt(show?.cycles, "%.0f"), note])
        }
        for b in s.banks {
            let cells = b.cellMin.map { String(format: "%.3f/%.3f", $0.volts, b.cellMax?.volts ?? $0.volts) } ?? "-"
            let temps = b.temperatureMin.map { String(format: "%.0f..%.0f", $0, b.temperatureMax ?? $0) } ?? "-"
            rows.append(["bank " + b.id, b.state.rawValue, fmt(b.voltage, "%.2fV"), fmt(b.current, "%+.2fA"), fmt(b.soc, "%.2f%%"),
                         fmt(b.soh, "%.0f%%"), cells, "-", temps, "-",
                         "\(b.onlinePacks.count)/\(b.packs.count) online" + (b.alarms.isEmpty ? "" : " " + b.alarms.map(\.rawValue).joined(separator: ","))])
        }
        var limitLines = ""
        for b in s.banks {
            let l = b.command.limits
            let phase = b.command.phase.rawValue + (b.command.phaseInfo.since.map { " \(Int(max(0, s.time.timeIntervalSince($0)) / 60)) min" } ?? "")
            limitLines += "limits \(b.id): charge \(fmt(l.chargeVoltage, "%.2fV")) \(fmt(l.chargeCurrent, "%.1fA")), discharge \(fmt(l.dischargeCurrent, "%.1fA")), \(phase)"
            limitLines += l.reasons.isEmpty ? "\n" : " — " + l.reasons.map(\.text).joined(separator: "; ") + "\n"
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        for row in rows {
            out += row.enumerated().map { c, cell in
                c == row.count - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
            }.joined(separator: "  ") + "\n"
        }
        return out + limitLines
    }

    private static func fmt(_ v: Double?, _ format: String) -> String {
        v.map { String(format: format, $0) } ?? "-"
    }
}
