import Foundation
import Testing

/// Paths and processes for end-to-end tests that run the built `bmsgate` and its plugins.
enum TestTools {
    /// The repository root.
    static let root: String = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/")

    /// Where the built products are (BMSGATE_BIN_DIR from the Makefile, else .build/debug).
    static let binDir: String = ProcessInfo.processInfo.environment["BMSGATE_BIN_DIR"] ?? root + "/.build/debug"

    /// The built executable. A test that uses it fails with a clear message when it or a
    /// plugin is older than its sources (a build was skipped: run `make test`).
    static var bmsgate: String {
        if let stale = BuildFreshness.problem { Issue.record(Comment(rawValue: stale)) }
        return binDir + "/bmsgate"
    }

    /// Set by `make test-tsan`: the binaries run under ThreadSanitizer, whose runtime reacts
    /// to a few deliberate faults (a plugin that aborts, a file-size limit) on its own terms.
    static let sanitized = ProcessInfo.processInfo.environment["BMSGATE_SANITIZER"] != nil

    /// The Python with the test peers (pysunspec2): BMSGATE_PYTHON from the Makefile, else the venv.
    static let python: String = ProcessInfo.processInfo.environment["BMSGATE_PYTHON"] ?? root + "/.build/pyenv/bin/python3"

    /// Python helper scripts.
    static var pythonTools: String { root + "/Tests/PythonTools" }

    /// A TCP port nobody listens on right now (the kernel's pick), for peers that cannot
    /// report a port they chose (mosquitto, the push receiver). The gateway itself listens on
    /// port 0 and says which port it got (`Child.port`).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
                bind(fd, p, len)
                return getsockname(fd, p, &len)
            }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Holding registers read by mbpoll (0-based addresses); nil when mbpoll got no answer.
    static func mbpoll(port: Int, unit: Int = 1, address: Int, count: Int, inputRegisters: Bool = false) -> [Int]? {
        guard let r = try? run("/usr/bin/mbpoll", ["-m", "tcp", "-p", "\(port)", "-a", "\(unit)", "-t", inputRegisters ? "3" : "4",
                                                   "-0", "-r", "\(address)", "-c", "\(count)", "-1", "-o", "2", "127.0.0.1"],
                            timeout: 10),
              r.status == 0 else { return nil }
        let values = r.stdout.split(separator: "\n").compactMap { line -> Int? in
            guard line.hasPrefix("["), let colon = line.firstIndex(of: ":") else { return nil }
            // "[40001]: \t65535 (-1)": the unsigned value first, the signed one in brackets.
            return line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
        }
        return values.count == count ? values : nil
    }

    /// Starts `process` with no signal blocked. A child inherits the signal mask of the
    /// thread that spawns it, and the test runner's threads block SIGTERM: mosquitto and
    /// mosquitto_sub started from them could not be stopped gracefully.
    static func spawn(_ process: Process) throws {
        var none = sigset_t(), old = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
        try process.run()
    }

    /// The public ABI header folder.
    static var headerDir: String { root + "/Sources/CBMSDriver/include" }

    /// A fresh temporary folder.
    static func tempDir(_ name: String) throws -> String {
        let dir = NSTemporaryDirectory() + "bmsgate-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Result of a finished process.
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a command to completion (killed after `timeout` seconds).
    static func run(_ executable: String, _ arguments: [String], cwd: String? = nil, timeout: Double = 60,
                    environment: [String: String] = [:]) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "BMSGATE_PLUGIN_PATH")
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let outData = ReadAll(out.fileHandleForReading), errData = ReadAll(err.fileHandleForReading)
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: outData.wait(), stderr: errData.wait())
    }

    /// Compiles a C file into a shared object.
    static func compileSharedObject(source: String, output: String, includeDir: String = headerDir, extraFlags: [String] = []) throws {
        let r = try run("/usr/bin/env", ["cc", "-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-fvisibility=hidden", "-I", includeDir] + extraFlags + ["-o", output, source])
        guard r.status == 0 else { throw CompileError(message: r.stderr) }
    }

    struct CompileError: Error { var message: String }

    /// Waits until `condition` holds or `timeout` seconds pass.
    @discardableResult
    static func waitUntil(_ timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    /// Lines of a JSON Lines file, parsed.
    static func jsonLines(_ path: String) -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}

/// Reads a pipe to the end on a background thread.
final class ReadAll: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)
    init(_ handle: FileHandle) {
        Thread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { data.append(chunk) }
            }
            done.signal()
        }.start()
    }
    private var finished = false
    /// Everything read (waits for the end once; later calls return the same text).
    func wait() -> String {
        if !finished {
            done.wait()
            finished = true
        }
        return lock.withLock { String(decoding: data, as: UTF8.self) }
    }
    /// What has been read so far.
    var sofar: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}

/// A long-running child process (bmsgate run / simulate) with a stdin pipe.
final class Child {
    let process = Process()
    let stdin = Pipe()
    let stdoutPipe = Pipe()
    let stderrPipe = Pipe()
    private let out: ReadAll
    private let err: ReadAll

    init(_ executable: String, _ arguments: [String], cwd: String? = nil, environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "BMSGATE_PLUGIN_PATH")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardInput = stdin
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        try process.run()
        out = ReadAll(stdoutPipe.fileHandleForReading)
        err = ReadAll(stderrPipe.fileHandleForReading)
    }

    /// The ports the gateway says it listens on, in the order it opened them (each sink in
    /// the site file's order), read from its log: `kind` is "http" (the API), "modbus-tcp"
    /// or "pylon-rs485". Waits until `count` of them are logged, at most `timeout` seconds;
    /// the test fails (throws) when they are not. Tests listen on port 0 and ask here: no
    /// port is picked by the test and taken by someone else before the gateway binds it.
    func ports(_ kind: String, count: Int = 1, timeout: Double = 20) throws -> [Int] {
        let marker = kind == "http" ? "http API on http://" : "\(kind) listening on "
        var found: [Int] = []
        let ok = TestTools.waitUntil(timeout) {
            found = err.sofar.split(separator: "\n").compactMap { line -> Int? in
                guard let r = line.range(of: marker) else { return nil }
                let address = line[r.upperBound...].prefix { !$0.isWhitespace }
                return address.split(separator: ":").last.flatMap { Int($0) }
            }
            return found.count >= count || !process.isRunning
        }
        guard ok, found.count >= count else { throw PortNotLogged(kind: kind, log: err.sofar) }
        return found
    }

    /// The one port the gateway listens on for `kind` ("http", "modbus-tcp", "pylon-rs485").
    func port(_ kind: String, timeout: Double = 20) throws -> Int { try ports(kind, timeout: timeout)[0] }

    /// A gateway that never said which port it got.
    struct PortNotLogged: Error, CustomStringConvertible {
        var kind: String
        var log: String
        var description: String { "the gateway logged no \(kind) port; its log:\n\(log)" }
    }

    /// Sends a line to the child's stdin.
    func send(_ line: String) { stdin.fileHandleForWriting.write(Data((line + "\n").utf8)) }

    /// Sends `signal` and waits for the exit; returns status, stdout and stderr.
    func stop(_ signal: Int32 = SIGTERM, timeout: Double = 10) -> TestTools.Output {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? stdin.fileHandleForWriting.close()
        return TestTools.Output(status: process.terminationStatus, stdout: out.wait(), stderr: err.wait())
    }
}

extension TestTools {
    /// The JSON objects of JSON Lines text (lines that are not objects are skipped).
    static func jsonObjects(_ text: String) -> [[String: Any]] {
        text.split(whereSeparator: \.isNewline).compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}
