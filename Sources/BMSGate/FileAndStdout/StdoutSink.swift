import Foundation

/// Terminal output: `table` prints the site table at most once per `interval`;
/// `json` prints one JSON line per new pack result (like the file sink).
public final class StdoutSink: Sink {
    public let format: String
    public let interval: Duration
    private var lastPrint: Date?
    private var lines = PackLineTracker()
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
public struct PackLineTracker {
    private var cursor = SnapshotCursor()
    private var written: [Int] = []
    /// An empty tracker.
    public init() {}
    /// JSON lines of the packs whose sequence changed since the last call (only the packs
    /// the snapshot says changed are looked at).
    public mutating func newLines(in snapshot: Snapshot) -> [String] {
        if written.count != snapshot.packs.count { written = Array(repeating: 0, count: snapshot.packs.count) }
        var out: [String] = []
        for i in cursor.changes(in: snapshot).packs {
            let sequence = snapshot.packs[i].sequence
            guard sequence > 0, written[i] != sequence else { continue }
            written[i] = sequence
            out.append(snapshot.packs[i].jsonLine)
        }
        return out
    }
}
