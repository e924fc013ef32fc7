import Foundation
import Logging

/// JSON Lines file: one line per new pack result. Rotates by size (`path.1` ... `path.keep`),
/// flushes after every batch and at close. A write error is logged once, counted, and the
/// sink keeps trying (it never stops the gateway).
public final class FileSink: Sink {
    public let path: String
    public let maxSize: Int
    public let keep: Int
    private var handle: FileHandle?
    private var size = 0
    private var lines = PackLineTracker()
    private let logger: Logger
    /// Failed writes (and failed opens).
    public private(set) var writeErrors = 0
    private var failing = false

    /// A file sink; the folder is created when missing.
    public init(path: String, maxSize: Int, keep: Int, logger: Logger) {
        self.path = path
        self.maxSize = maxSize
        self.keep = keep
        self.logger = logger
    }

    public var name: String { "file \(path)" }

    public func write(_ snapshot: Snapshot) {
        let text = lines.newLines(in: snapshot).map { $0 + "\n" }.joined()
        guard !text.isEmpty else { return }
        let data = Data(text.utf8)
        do {
            if handle == nil { try openFile() }
            if size > 0 && size + data.count > maxSize { try rotate() }
            try handle!.write(contentsOf: data)
            size += data.count
            if failing {
                failing = false
                logger.info("file sink \(path) writes again")
            }
        } catch {
            writeErrors += 1
            if !failing {
                failing = true
                logger.error("file sink \(path): \(error.localizedDescription) (counting further errors silently)")
            }
            try? handle?.close()
            handle = nil
        }
    }

    private func openFile() throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
        }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        size = Int(try h.seekToEnd())
        handle = h
    }

    /// path → path.1 → ... → path.keep (the oldest is removed).
    private func rotate() throws {
        try handle?.synchronize()
        try handle?.close()
        handle = nil
        let fm = FileManager.default
        if keep == 0 {
            try fm.removeItem(atPath: path)
        } else {
            try? fm.removeItem(atPath: "\(path).\(keep)")
            for i in stride(from: keep - 1, through: 1, by: -1) where fm.fileExists(atPath: "\(path).\(i)") {
                try fm.moveItem(atPath: "\(path).\(i)", toPath: "\(path).\(i + 1)")
            }
            try fm.moveItem(atPath: path, toPath: "\(path).1")
        }
        try openFile()
    }

    public func close() {
        try? handle?.synchronize()
        try? handle?.close()
        handle = nil
    }
}
