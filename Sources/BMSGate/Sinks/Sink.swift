/// Where snapshots go (stdout, a file, Modbus-TCP, MQTT, HTTP, Prometheus, CAN, Pylontech
/// RS485). `write` is called on the publisher's thread for a sink that `writesInline`, else
/// on the sink's own thread behind its `Mailbox` (`SinkRunner`); never twice at once.
public protocol Sink: AnyObject {
    /// Name for logs, e.g. "file data/readings.jsonl".
    var name: String { get }
    /// Handles one snapshot. Errors are the sink's own business: log once, count, go on.
    func write(_ snapshot: Snapshot)
    /// Flushes and closes; called once at shutdown after the queue is drained.
    func close()
    /// The sink's own counters (readings lost, connections refused...), for /metrics and
    /// /healthz. Read from other threads: implementations return a consistent copy.
    var counters: [SinkCounter] { get }
    /// What the sink knows beyond numbers (the can sink: the inverter it hears), for
    /// /healthz and /api/sinks; nil when it has nothing to say.
    var status: JSONValue? { get }
    /// True when `write` is short work bounded by what changed, that never waits on a
    /// file, the network or a client (the Modbus image, the HTTP API's state, MQTT's
    /// queue): the publisher then calls it itself, without waking a thread per snapshot,
    /// and the new values are served sooner (the inverter links only encode the command
    /// there; their own threads send). Sinks that can block (files on a slow card, stdout,
    /// Prometheus pushes) keep their own thread and mailbox.
    var writesInline: Bool { get }
    /// How long the sink's thread waits after a snapshot arrives, to take the snapshots
    /// that follow with it in one `write(batch:)` (zero: at once). A file sink gathers
    /// 100 ms: one wake-up and one write for many readings, lines ~0.1 s later.
    var gatherWindow: Duration { get }
    /// Handles snapshots in order (those gathered in one window); by default `write` each.
    func write(batch: [Snapshot])
}

extension Sink {
    public var counters: [SinkCounter] { [] }
    public var status: JSONValue? { nil }
    public var writesInline: Bool { false }
    public var gatherWindow: Duration { .zero }
    public func write(batch: [Snapshot]) { for s in batch { write(s) } }
}

/// One number a sink reports about itself: `bmsgate_sink_<name>{sink="..."}` in /metrics
/// and `<name>` under the sink in /healthz.
public struct SinkCounter: Sendable, Equatable {
    /// Counters only grow (names end in `_total`); gauges go up and down.
    public enum Kind: Sendable { case counter, gauge }
    /// Metric name after `bmsgate_sink_`, e.g. `dropped_readings_total`.
    public var name: String
    /// The metric's help text.
    public var help: String
    public var kind: Kind
    public var value: Double

    /// A counter or gauge.
    public init(_ name: String, _ help: String, _ value: Double, kind: Kind = .counter) {
        self.name = name
        self.help = help
        self.kind = kind
        self.value = value
    }
}

extension SinkCounter {
    /// The counters every listening sink reports about its client connections.
    static func connections(open: Int, accepted: Int, evicted: Int, refused: Int) -> [SinkCounter] {
        [
            SinkCounter("connections_open", "Client connections open now", Double(open), kind: .gauge),
            SinkCounter("connections_accepted_total", "Client connections accepted", Double(accepted)),
            SinkCounter("connections_evicted_total", "Idle connections closed to make room for new ones", Double(evicted)),
            SinkCounter("connections_refused_total", "Connections refused (allow list, or full with no idle one to close)", Double(refused)),
        ]
    }
}

/// What a running sink reports: its name, the snapshots its queue dropped, its counters.
public struct SinkHealth: Sendable {
    /// The sink's name.
    public var name: String
    /// Snapshots dropped because the sink fell behind.
    public var droppedSnapshots: Int
    /// The sink's own counters.
    public var counters: [SinkCounter]
    /// The sink's own status, if it has one.
    public var status: JSONValue?

    /// A report.
    public init(name: String, droppedSnapshots: Int, counters: [SinkCounter] = [], status: JSONValue? = nil) {
        self.name = name
        self.droppedSnapshots = droppedSnapshots
        self.counters = counters
        self.status = status
    }

    /// The report as JSON (/healthz, /api/sinks).
    public var json: JSONValue {
        var entry = JSONObject()
        entry["name"] = .string(name)
        entry["dropped_snapshots"] = .number(Double(droppedSnapshots))
        for c in counters { entry[c.name] = .number(c.value) }
        if let status { entry["status"] = status }
        return .object(entry)
    }
}
