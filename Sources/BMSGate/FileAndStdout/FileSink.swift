import Foundation
import Logging

/// JSON Lines file: one line per new pack result. Rotates by size (`path.1` ... `path.keep`).
/// Never leaves a partial record: a batch that cannot be written whole (disk full, file size
/// limit) is cut back to the last newline and its readings are counted as lost; a torn last
/// line left by a crash is removed when the file is opened. The first failure is logged with
/// its reason, and when writing resumes the log says how many readings were lost. A failing
/// file never stops the gateway.
public final class FileSink: Sink {
    public let path: String
    public let maxSize: Int
    public let keep: Int
    private var fd: Int32 = -1
    /// Bytes in the file; always at a line boundary.
    private var size = 0
    private var lines = SnapshotCursor()
    private let logger: Logger
    private let lock = NSLock()
    private var stats = Stats()
    /// Readings lost since the current failure began (for the "writes again" log line).
    private var lostInOutage = 0
    private var outageStarted: Date?

    struct Stats {
        var written = 0
        var dropped = 0
        var writeErrors = 0
        var failing = false
    }

    /// A file sink; the folder is created when missing.
    public init(path: String, maxSize: Int, keep: Int, logger: Logger) {
        self.path = path
        self.maxSize = maxSize
        self.keep = keep
        self.logger = logger
        // A file size limit (ulimit -f, LimitFSIZE=) must fail a write, not kill the gateway.
        signal(SIGXFSZ, SIG_IGN)
    }

    public var name: String { "file \(path)" }

    /// Failed writes (and failed opens).
    public var writeErrors: Int { lock.withLock { stats.writeErrors } }
    /// Readings not written because the file could not take them.
    public var droppedReadings: Int { lock.withLock { stats.dropped } }

    public var counters: [SinkCounter] {
        let s = lock.withLock { stats }
        return [
            SinkCounter("readings_written_total", "Readings written", Double(s.written)),
            SinkCounter("dropped_readings_total", "Readings lost because the file could not be written (disk full, size limit)", Double(s.dropped)),
            SinkCounter("write_errors_total", "Failed writes and opens", Double(s.writeErrors)),
            SinkCounter("failing", "1 while the file cannot be written", s.failing ? 1 : 0, kind: .gauge),
        ]
    }

    public func write(_ snapshot: Snapshot) { write(batch: [snapshot]) }

    /// Readings arriving within 100 ms are written together: one wake-up and one write
    /// for many readings (each still a whole line; a failed write removes the whole batch).
    public var gatherWindow: Duration { .milliseconds(100) }

    /// The new results of `snapshots`, in order, appended in one write.
    public func write(batch snapshots: [Snapshot]) {
        var batch: [String] = []
        for snapshot in snapshots { batch += lines.newLines(in: snapshot) }
        guard !batch.isEmpty else { return }
        var bytes: [UInt8] = []
        for line in batch {
            bytes.append(contentsOf: line.utf8)
            bytes.append(0x0A)
        }
        do {
            if fd < 0 { try openFile() }
            if size > 0 && size + bytes.count > maxSize { try rotate() }
            try append(bytes)
            recordSuccess(batch.count)
        } catch {
            recordFailure(batch.count, error)
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    /// Writes all of `bytes` or none: on a short write or an error the file is cut back to
    /// where this batch began (a line boundary).
    private func append(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                let err = n < 0 ? errno : ENOSPC
                if done > 0 { _ = ftruncate(fd, off_t(size)) }
                throw FileSinkError(String(cString: strerror(err)) + (done > 0 ? " (the partial record was removed)" : ""))
            }
            done += n
        }
        size += bytes.count
    }

    private func recordSuccess(_ count: Int) {
        let resumed: (lost: Int, since: Date?)? = lock.withLock {
            stats.written += count
            guard stats.failing else { return nil }
            stats.failing = false
            return (lostInOutage, outageStarted)
        }
        if let resumed {
            let duration = resumed.since.map { String(format: " over %.0f s", Date().timeIntervalSince($0)) } ?? ""
            logger.warning("file sink \(path) writes again: \(resumed.lost) reading(s) were lost\(duration)")
            lostInOutage = 0
            outageStarted = nil
        }
    }

    private func recordFailure(_ count: Int, _ error: any Error) {
        let first: Bool = lock.withLock {
            stats.dropped += count
            stats.writeErrors += 1
            defer { stats.failing = true }
            return !stats.failing
        }
        lostInOutage += count
        if first {
            outageStarted = Date()
            logger.error("file sink \(path): \(error) — readings are counted as lost until it can write again")
        }
    }

    private func openFile() throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw FileSinkError("cannot create \(dir): \(error.localizedDescription)")
            }
        }
        let opened = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard opened >= 0 else { throw FileSinkError("cannot open: \(String(cString: strerror(errno)))") }
        let end = lseek(opened, 0, SEEK_END)
        guard end >= 0 else {
            Glibc.close(opened)
            throw FileSinkError("cannot seek: \(String(cString: strerror(errno)))")
        }
        fd = opened
        size = Int(end)
        let boundary = Self.lastLineEnd(path: path, size: size)
        if boundary < size {
            _ = ftruncate(fd, off_t(boundary))
            logger.warning("file sink \(path): removed a torn last line (\(size - boundary) bytes) left by an earlier failure")
            size = boundary
        }
    }

    /// The offset just after the file's last newline (0 when it has none).
    static func lastLineEnd(path: String, size: Int) -> Int {
        guard size > 0, let reader = FileHandle(forReadingAtPath: path) else { return size }
        defer { try? reader.close() }
        var end = size
        while end > 0 {
            let start = max(0, end - 4096)
            try? reader.seek(toOffset: UInt64(start))
            guard let chunk = try? reader.read(upToCount: end - start), chunk.count == end - start else { return size }
            if let i = chunk.lastIndex(of: 0x0A) { return start + (i - chunk.startIndex) + 1 }
            end = start
        }
        return 0
    }

    /// path → path.1 → ... → path.keep (the oldest is removed).
    private func rotate() throws {
        _ = fsync(fd)
        Glibc.close(fd)
        fd = -1
        let fm = FileManager.default
        do {
            if keep == 0 {
                try fm.removeItem(atPath: path)
            } else {
                try? fm.removeItem(atPath: "\(path).\(keep)")
                for i in stride(from: keep - 1, through: 1, by: -1) where fm.fileExists(atPath: "\(path).\(i)") {
                    try fm.moveItem(atPath: "\(path).\(i)", toPath: "\(path).\(i + 1)")
                }
                try fm.moveItem(atPath: path, toPath: "\(path).1")
            }
        } catch {
            throw FileSinkError("cannot rotate: \(error.localizedDescription)")
        }
        try openFile()
    }

    public func close() {
        guard fd >= 0 else { return }
        _ = fsync(fd)
        Glibc.close(fd)
        fd = -1
    }
}

/// Why the file sink could not write, for the log.
struct FileSinkError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
