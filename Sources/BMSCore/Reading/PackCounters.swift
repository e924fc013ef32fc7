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
        var tree = JSONTreeBuilder()
        emit(to: &tree)
        return tree.result
    }

    /// Produces `json` into `o`.
    public func emit<E: JSONEmitter>(to o: inout E) {
        o.beginObject()
        o.member("polls", Double(polls))
        o.member("ok", Double(ok))
        o.member("timeouts", Double(timeouts))
        o.member("checksum_errors", Double(checksumErrors))
        o.member("errors", Double(errors))
        o.member("reopens", Double(reopens))
        o.endObject()
    }
}
