/// Per-pack poll statistics.
public struct PackCounters: Sendable, Equatable {
    /// Poll cycles started.
    public var polls = 0
    /// Poll cycles that returned a reading.
    public var ok = 0
    /// Attempts that timed out (retries included).
    public var timeouts = 0
    /// Attempts with a checksum/CRC error.
    public var checksumErrors = 0
    /// Other failed attempts (frame, device, transport).
    public var errors = 0
    /// Times the transport was reopened after a failure.
    public var reopens = 0
    /// How long the last poll cycle took (retries included), seconds; not in the JSON.
    public var lastPollSeconds = 0.0
    /// An empty set of counters.
    public init() {}

    /// As JSON.
    public var json: JSONValue {
        var o = JSONObject()
        o["polls"] = .number(Double(polls))
        o["ok"] = .number(Double(ok))
        o["timeouts"] = .number(Double(timeouts))
        o["checksum_errors"] = .number(Double(checksumErrors))
        o["errors"] = .number(Double(errors))
        o["reopens"] = .number(Double(reopens))
        return .object(o)
    }
}
