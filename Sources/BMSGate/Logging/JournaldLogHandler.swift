import Foundation
import Logging

/// A swift-log handler for systemd-journald's native protocol: one datagram per entry on
/// the journal socket, `KEY=value` lines (`MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`,
/// `LOGGER`, `CODE_FILE`, `CODE_LINE`, and each metadata key in upper case, e.g. `BUS`,
/// `PACK`), so `journalctl -o verbose` and `journalctl PACK=p1` see them as fields. Without
/// the socket (not under systemd) entries go to stderr with a `<priority>` prefix, which
/// journald also understands on a unit's stderr.
public struct JournaldLogHandler: LogHandler {
    /// Where journald listens (the `BMSGATE_JOURNAL_SOCKET` environment variable overrides it).
    public static var socketPath: String {
        ProcessInfo.processInfo.environment["BMSGATE_JOURNAL_SOCKET"] ?? "/run/systemd/journal/socket"
    }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let identifier: String
    let sink: JournalSocket?

    /// A handler for `label`, entries tagged with `identifier`.
    public init(label: String, level: Logger.Level, identifier: String = "bmsgate") {
        self.label = label
        logLevel = level
        self.identifier = identifier
        sink = JournalSocket.shared
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// syslog priority of a level.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// A field name journald accepts: upper-case letters, digits and underscores, not
    /// starting with an underscore or digit.
    static func fieldName(_ key: String) -> String {
        var name = String(key.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
        while name.first == "_" || name.first?.isNumber == true { name.removeFirst() }
        return name.isEmpty ? "FIELD" : name
    }

    /// The datagram for one entry (newline-free values as `KEY=value`; a value with a
    /// newline in the binary form the protocol defines).
    static func entry(_ fields: [(String, String)]) -> Data {
        var d = Data()
        for (k, v) in fields {
            if v.contains("\n") {
                d.append(contentsOf: Array(k.utf8) + [0x0A])
                var n = UInt64(v.utf8.count).littleEndian
                withUnsafeBytes(of: &n) { d.append(contentsOf: $0) }
                d.append(contentsOf: Array(v.utf8) + [0x0A])
            } else {
                d.append(contentsOf: Array("\(k)=\(v)\n".utf8))
            }
        }
        return d
    }

    public func log(event: LogEvent) {
        write(level: event.level, message: event.message, metadata: event.metadata, file: event.file, function: event.function, line: event.line)
    }

    func write(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, file: String, function: String, line: UInt) {
        let all = metadata.merging(explicit ?? [:]) { _, new in new }
        var fields: [(String, String)] = [
            ("MESSAGE", "\(message)"), ("PRIORITY", String(Self.priority(level))), ("SYSLOG_IDENTIFIER", identifier),
            ("LOGGER", label), ("CODE_FILE", file), ("CODE_LINE", String(line)), ("CODE_FUNC", function),
        ]
        for (k, v) in all.sorted(by: { $0.key < $1.key }) { fields.append((Self.fieldName(k), "\(v)")) }
        if let sink, sink.send(Self.entry(fields)) { return }
        let context = all.isEmpty ? "" : " " + all.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        FileHandle.standardError.write(Data("<\(Self.priority(level))>\(label):\(context) \(message)\n".utf8))
    }
}

/// The journal's datagram socket, opened once; nil when there is none.
final class JournalSocket: @unchecked Sendable {
    static let shared = JournalSocket(path: JournaldLogHandler.socketPath)
    let fd: Int32
    var address = sockaddr_un()

    init?(path: String) {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { close(fd); return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
    }

    /// Sends one datagram; false when journald does not take it.
    func send(_ data: Data) -> Bool {
        var addr = address
        return data.withUnsafeBytes { raw in
            withUnsafePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL), $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == raw.count
                }
            }
        }
    }
}
