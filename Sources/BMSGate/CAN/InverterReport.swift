import Foundation

/// What the can sink knows of the inverter on its bus: when it was last heard, how many
/// frames it sent, and what its frames say (SMA reports its own measurements and state).
public struct InverterReport: Sendable, Equatable {
    /// Frames received from the inverter.
    public var frames = 0
    /// When the last one arrived (wall clock, for people) and monotonic ms (for timeouts).
    public var lastSeen: Date?
    var lastSeenMs: UInt64?
    /// Decoded fields, by name (battery_voltage, soc, operating_state, victron...).
    public var fields: [String: Double] = [:]

    /// The report as JSON for /healthz and /api/sinks.
    public func json(profile: CANProfile, nowMs: UInt64) -> JSONValue {
        var o = JSONObject()
        o["profile"] = .string(profile.rawValue)
        o["seen"] = .bool(lastSeenMs != nil)
        o["frames"] = .number(Double(frames))
        if let lastSeen { o["last_seen"] = .string(ISOTime.format(lastSeen)) }
        if let ms = lastSeenMs { o["age_seconds"] = .number(Double(nowMs.saturatingAge(since: ms)) / 1000) }
        var f = JSONObject()
        for key in fields.keys.sorted() { f[key] = .number(fields[key]!) }
        o["reports"] = .object(f)
        return .object(o)
    }
}
