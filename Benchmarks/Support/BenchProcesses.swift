import Foundation

/// A helper process of a benchmark (an emulator, a gateway, a broker) whose stdin stays
/// open for control lines; its output goes to `log` (created) or nowhere.
public final class Spawned {
    public let process = Process()
    let input = Pipe()

    /// Starts `executable` with `arguments`.
    public init(_ executable: String, _ arguments: [String], log: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = input
        let sink = log.flatMap { path -> FileHandle? in
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)
        } ?? FileHandle.nullDevice
        process.standardOutput = sink
        process.standardError = sink
        try process.run()
    }

    /// Sends one control line.
    public func send(_ line: String) { try? input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8)) }

    /// Terminates it and waits for the exit.
    public func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

/// Polls `condition` every 0.1 s until it holds or `seconds` pass.
public func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.1)
    }
    return condition()
}

/// A TCP port nobody listens on right now (the kernel's pick, on 127.0.0.1).
public func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in bind(fd, p, len); return getsockname(fd, p, &len) }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// GET `path` from a gateway's http sink on 127.0.0.1 (curl, at most `timeout` seconds).
public func httpGet(_ port: Int, _ path: String, timeout: Int = 5) -> Data? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    p.arguments = ["-sf", "--max-time", "\(timeout)", "http://127.0.0.1:\(port)\(path)"]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return p.terminationStatus == 0 ? data : nil
}
