import Foundation

/// Terminal output: `table` prints the site table at most once per `interval`;
/// `json` prints one JSON line per new pack result (like the file sink).
public final class StdoutSink: Sink {
    public let format: String
    public let interval: Duration
    private var lastPrint: Date?
    private var lines = SnapshotCursor()
    private let output: FileHandle
    /// The other sinks' reports; those with a `summary` in their status get a line under
    /// the table (the can sink: whether the inverter is heard).
    private let sinkHealth: @Sendable () -> [SinkHealth]

    /// A stdout sink.
    public init(format: String, interval: Duration, output: FileHandle = .standardOutput,
                sinkHealth: @escaping @Sendable () -> [SinkHealth] = { [] }) {
        self.format = format
        self.interval = interval
        self.output = output
        self.sinkHealth = sinkHealth
    }

    public var name: String { "stdout (\(format))" }

    public func write(_ snapshot: Snapshot) {
        var text: String
        if format == "json" {
            text = lines.newLines(in: snapshot).map { $0 + "\n" }.joined()
        } else {
            if let last = lastPrint, snapshot.time.timeIntervalSince(last) < interval.seconds * 0.95 { return }
            lastPrint = snapshot.time
            text = TableFormatter.render(snapshot)
            for sink in sinkHealth() {
                if case .object(let o)? = sink.status, case .string(let summary)? = o["summary"] {
                    text += "\(sink.name): \(summary)\n"
                }
            }
        }
        guard !text.isEmpty else { return }
        try? output.write(contentsOf: Data(text.utf8))
    }

    public func close() {}
}

/// Remembers which pack results were written, so JSON Lines sinks write each result once.
extension SnapshotCursor {
    /// The JSON lines of the packs with a reading this cursor has not written yet (only the
    /// packs the snapshot says changed are looked at).
    public mutating func newLines(in snapshot: Snapshot) -> [String] {
        _ = changes(in: snapshot)
        return newReadings.map { snapshot.packs[$0].jsonLine }
    }
}
