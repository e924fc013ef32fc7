import Foundation
import Testing

/// A real mosquitto broker (Debian's package) on a free loopback port, with its own
/// config, password file, certificates and persistence folder in a temporary directory.
final class MosquittoBroker {
    let port: Int
    let dir: String
    private var process: Process?
    private let config: String

    static let executable = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "mosquitto"

    /// Starts a broker; `extra` lines are added to its config (listener options, auth).
    init(_ name: String, extra: [String] = [], anonymous: Bool = true, persistence: Bool = false) throws {
        port = TestTools.freePort()
        dir = try TestTools.tempDir("mqtt-\(name)")
        var lines = ["listener \(port) 127.0.0.1", "allow_anonymous \(anonymous)", "log_type error", "log_type warning",
                     "log_type notice", "log_dest file \(dir)/broker.log"]
        // As root mosquitto drops to the `mosquitto` user, which cannot read our temp files.
        if getuid() == 0 { lines.append("user root") }
        if persistence { lines += ["persistence true", "persistence_location \(dir)/"] }
        config = dir + "/mosquitto.conf"
        try (lines + extra).joined(separator: "\n").appending("\n").write(toFile: config, atomically: true, encoding: .utf8)
        try start()
    }

    /// Starts (or restarts) the broker and waits until it accepts connections.
    func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.executable)
        p.arguments = ["-c", config]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try TestTools.spawn(p)
        process = p
        let up = TestTools.waitUntil(10) { Self.accepts(port: port) }
        guard up else { throw BrokerError(message: "mosquitto did not start on port \(port): \(log)") }
    }

    /// Stops the broker (SIGTERM: it saves its persistence file).
    func stop() {
        guard let p = process else { return }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        process = nil
    }

    /// The broker's log.
    var log: String { (try? String(contentsOfFile: dir + "/broker.log", encoding: .utf8)) ?? "" }

    deinit { stop() }

    struct BrokerError: Error { var message: String }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Adds a user to a mosquitto password file (hashed by mosquitto_passwd).
    static func addUser(_ user: String, password: String, file: String) throws {
        let args = (FileManager.default.fileExists(atPath: file) ? ["-b"] : ["-c", "-b"]) + [file, user, password]
        let r = try TestTools.run("/usr/bin/mosquitto_passwd", args)
        guard r.status == 0 else { throw BrokerError(message: "mosquitto_passwd: \(r.stderr)") }
    }
}

/// One message as mosquitto_sub printed it with `-F '%r %q %t %p'`.
struct ReceivedMessage {
    var retained: Bool
    var qos: Int
    var topic: String
    var payload: String

    /// The payload as a JSON object, nil when it is not one.
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] }
}

/// A real subscriber: mosquitto_sub writing every message to a file the test reads while
/// it runs.
final class MQTTSubscriber {
    private let process = Process()
    private let output: String

    /// Subscribes to `topics` on `port` (extra mosquitto_sub arguments: credentials, TLS,
    /// a persistent session).
    init(port: Int, topics: [String], extra: [String] = []) throws {
        output = NSTemporaryDirectory() + "bmsgate-sub-\(UUID().uuidString.prefix(8)).txt"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
        process.arguments = ["-h", "127.0.0.1", "-p", "\(port)", "-q", "1", "-F", "%r %q %t %p"] + extra + topics.flatMap { ["-t", $0] }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = FileHandle.nullDevice
        try TestTools.spawn(process)
    }

    /// Everything received so far, in order.
    var messages: [ReceivedMessage] {
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count >= 3, let qos = Int(parts[1]) else { return nil }
            return ReceivedMessage(retained: parts[0] == "1", qos: qos, topic: String(parts[2]), payload: parts.count > 3 ? String(parts[3]) : "")
        }
    }

    /// Messages on `topic`.
    func on(_ topic: String) -> [ReceivedMessage] { messages.filter { $0.topic == topic } }

    /// Waits until a message satisfies `predicate`; returns it.
    @discardableResult
    func waitFor(_ timeout: Double, _ predicate: (ReceivedMessage) -> Bool) -> ReceivedMessage? {
        var found: ReceivedMessage?
        TestTools.waitUntil(timeout) {
            found = messages.first(where: predicate)
            return found != nil
        }
        return found
    }

    /// Stops mosquitto_sub and returns what it received.
    @discardableResult
    func stop() -> [ReceivedMessage] {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(atPath: output) }
        return messages
    }

    deinit { if process.isRunning { process.terminate() } }

    /// The retained messages under `topics` right now: a fresh subscriber gets them first
    /// (flag 1), so collect for `seconds`.
    static func retained(port: Int, topics: [String], seconds: Double = 2, extra: [String] = []) throws -> [ReceivedMessage] {
        let sub = try MQTTSubscriber(port: port, topics: topics, extra: extra)
        usleep(UInt32(seconds * 1_000_000))
        return sub.stop().filter(\.retained)
    }
}
