/// Where snapshots go. A sink runs on its own thread behind a bounded queue (SinkRunner),
/// so it may block (disk, network) without delaying polling or other sinks.
public protocol Sink: AnyObject {
    /// Name for logs, e.g. "file data/readings.jsonl".
    var name: String { get }
    /// Handles one snapshot. Errors are the sink's own business: log once, count, go on.
    func write(_ snapshot: Snapshot)
    /// Flushes and closes; called once at shutdown after the queue is drained.
    func close()
}
