// Modbus-TCP server benchmark: requests per second and latency percentiles with several
// concurrent libmodbus clients, for bmsgate's server and for a bare libmodbus select()
// loop on the same machine, printed as ratios; plus the time to rebuild a register image.
//
//     make bench            (release build)
//     bmsgate-bench-modbus [--clients 4] [--seconds 3]
import BMSGate
import CModbus
import Foundation
import Logging

struct Options {
    var clients = 4
    var seconds = 3.0
    init() {
        var args = CommandLine.arguments.dropFirst().makeIterator()
        while let a = args.next() {
            switch a {
            case "--clients": clients = args.next().flatMap(Int.init) ?? clients
            case "--seconds": seconds = args.next().flatMap(Double.init) ?? seconds
            case "-h", "--help": print("usage: bmsgate-bench-modbus [--clients N] [--seconds S]"); exit(0)
            default: print("usage: bmsgate-bench-modbus [--clients N] [--seconds S]"); exit(2)
            }
        }
    }
}

struct Result {
    var requests: Int
    var failures: Int
    var seconds: Double
    var latenciesUs: [Double]
    var rate: Double { Double(requests) / seconds }
    func percentile(_ p: Double) -> Double {
        guard !latenciesUs.isEmpty else { return .nan }
        let sorted = latenciesUs.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }
}

/// `clients` threads, each with its own libmodbus connection, reading 125 registers in a loop.
final class Collector: @unchecked Sendable {
    let lock = NSLock()
    var total: Result
    init(seconds: Double) { total = Result(requests: 0, failures: 0, seconds: seconds, latenciesUs: []) }
}

func load(port: Int, clients: Int, seconds: Double) -> Result {
    let collector = Collector(seconds: seconds)
    let group = DispatchGroup()
    for _ in 0..<clients {
        group.enter()
        Thread {
            defer { group.leave() }
            guard let ctx = modbus_new_tcp("127.0.0.1", Int32(port)) else { return }
            defer { modbus_free(ctx) }
            modbus_set_slave(ctx, 1)
            guard modbus_connect(ctx) == 0 else {
                collector.lock.withLock { collector.total.failures += 1 }
                return
            }
            defer { modbus_close(ctx) }
            var regs = [UInt16](repeating: 0, count: 125)
            var local: [Double] = []
            var failures = 0
            let end = Date().addingTimeInterval(seconds)
            while Date() < end {
                let t0 = DispatchTime.now().uptimeNanoseconds
                if modbus_read_registers(ctx, 40000, 125, &regs) == 125 {
                    local.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
                } else {
                    failures += 1
                }
            }
            collector.lock.withLock {
                collector.total.requests += local.count
                collector.total.failures += failures
                collector.total.latenciesUs += local
            }
        }.start()
    }
    group.wait()
    return collector.total
}

/// The canonical single-threaded libmodbus server (select() over every client, then
/// modbus_receive/modbus_reply), serving the same registers.
final class BareLibmodbusServer: @unchecked Sendable {
    private(set) var port = 0
    private var stop = false
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private let ready = DispatchSemaphore(value: 0)

    /// Listens on a loopback port the kernel picks.
    init(registers: [UInt16]) {
        Thread { [self] in serve(registers) }.start()
        ready.wait()
    }

    func shutdown() {
        lock.withLock { stop = true }
        done.wait()
    }

    private func serve(_ registers: [UInt16]) {
        defer { done.signal() }
        guard let ctx = modbus_new_tcp("127.0.0.1", 0),
              let map = modbus_mapping_new_start_address(0, 0, 0, 0, 40000, UInt32(registers.count), 0, 0) else { return }
        for (i, r) in registers.enumerated() { map.pointee.tab_registers[i] = r }
        let server = modbus_tcp_listen(ctx, 32)
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(server, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        ready.signal()
        var clients: Set<Int32> = []
        var query = [UInt8](repeating: 0, count: Int(MODBUS_TCP_MAX_ADU_LENGTH))
        while !lock.withLock({ stop }) {
            var fds = [pollfd(fd: server, events: Int16(POLLIN), revents: 0)] + clients.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&fds, nfds_t(fds.count), 100) > 0 else { continue }
            if fds[0].revents != 0 {
                let fd = accept(server, nil, nil)
                if fd >= 0 { clients.insert(fd) }
            }
            for p in fds.dropFirst() where p.revents != 0 {
                modbus_set_socket(ctx, p.fd)
                let n = modbus_receive(ctx, &query)
                if n > 0 { modbus_reply(ctx, query, n, map) } else if n < 0 { close(p.fd); clients.remove(p.fd) }
            }
        }
        clients.forEach { close($0) }
        close(server)
        modbus_mapping_free(map)
        modbus_free(ctx)
    }
}

/// A bank of `n` packs with full readings, as the sink sees it.
func snapshot(packs n: Int) -> (Snapshot, BankConfig) {
    var statuses: [PackStatus] = []
    for i in 0..<n {
        var r = Reading(pack: "p\(i + 1)", driver: "basen", time: Date())
        r.voltage = 53.1
        r.current = -10
        r.soc = 70
        r.soh = 99
        r.fullCapacity = 280
        r.remainingCapacity = 196
        r.cycles = 100
        r.cells = (0..<16).map { 3.3 + Double($0) / 1000 }
        r.temperatures = [20, 21, 22, 23]
        statuses.append(PackStatus(id: r.pack, driver: "basen", bus: "b", address: "\(i + 1)", online: true, reading: r,
                                   lastError: nil, lastPollTime: Date(), counters: PackCounters(), sequence: 1))
    }
    var config = BankConfig(id: "main", packs: statuses.map(\.id), unitId: 1, location: SourceLocation(file: "-", line: 1, column: 1))
    config.limits.chargeCurrent = 100
    config.limits.dischargeCurrent = 100
    let bank = BankStatus.aggregate(config, statuses: statuses)
    return (Snapshot(site: "bench", time: Date(), packs: statuses, banks: [bank]), config)
}

let options = Options()
let (snap, bankConfig) = snapshot(packs: 2)
var settings = ModbusSinkSettings()
let builder = ModbusImageBuilder(settings: settings, banks: [bankConfig])
let image = builder.image(snap)
let registers = image.units[1]!.registers

var logger = Logger(label: "bench")
logger.logLevel = .error
let ours = ModbusTCPServer(host: "127.0.0.1", port: 0, policy: ConnectionPolicy(maxConnections: 64, maxPerAddress: 64), idleTimeout: .seconds(60), image: image, logger: logger)
try ours.start()
let bare = BareLibmodbusServer(registers: registers)

print("Modbus-TCP: \(options.clients) clients, each reading 125 registers in a loop for \(options.seconds) s (loopback)")
let a = load(port: ours.port, clients: options.clients, seconds: options.seconds)
let b = load(port: bare.port, clients: options.clients, seconds: options.seconds)
ours.stop()
bare.shutdown()
let c = pymodbusLoad(registers: registers, clients: options.clients, seconds: options.seconds)
func line(_ name: String, _ r: Result) -> String {
    String(format: "  %-26@ %9.0f req/s   p50 %7.1f µs   p99 %7.1f µs   failures %d", name as NSString, r.rate, r.percentile(0.5), r.percentile(0.99), r.failures)
}
print(line("bmsgate (thread/conn)", a))
print(line("bare libmodbus select()", b))
print(String(format: "  ratio bmsgate/bare: throughput %.2f, p99 latency %.2f", a.rate / b.rate, a.percentile(0.99) / b.percentile(0.99)))
if let c {
    print(line("pymodbus 3.6 (asyncio)", c))
    print(String(format: "  ratio bmsgate/pymodbus: throughput %.2f, p99 latency %.2f", a.rate / c.rate, a.percentile(0.99) / c.percentile(0.99)))
} else {
    print("  pymodbus: not measured (no .build/pyenv with pymodbus: run `make test-deps` first)")
}

/// The same load against a pymodbus server (Tests/PythonTools/pymodbus_server.py in the
/// test venv); nil when the venv or pymodbus is missing.
func pymodbusLoad(registers: [UInt16], clients: Int, seconds: Double) -> Result? {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    let python = ProcessInfo.processInfo.environment["BMSGATE_PYTHON"] ?? root + "/.build/pyenv/bin/python3"
    guard FileManager.default.isExecutableFile(atPath: python) else { return nil }
    let values = NSTemporaryDirectory() + "bmsgate-bench-registers-\(getpid())"
    try? registers.map(String.init).joined(separator: ",").write(toFile: values, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: values) }
    let port = 20000 + Int(getpid() % 20000)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = [root + "/Tests/PythonTools/pymodbus_server.py", String(port), values, "40000"]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return nil }
    defer { p.terminate(); p.waitUntilExit() }
    guard String(decoding: out.fileHandleForReading.availableData, as: UTF8.self).contains("ready") else { return nil }
    // "ready" comes before the bind: wait until the port takes connections.
    let deadline = Date().addingTimeInterval(10)
    while Date() < deadline {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 } }
        close(fd)
        if ok { break }
        usleep(50_000)
    }
    return load(port: port, clients: clients, seconds: seconds)
}

// Image cost per snapshot: every pack new (a whole rebuild: the first snapshot, or every
// pack going stale at once), and one pack changed (the usual snapshot: one reading).
for n in [2, 16, 64] {
    let (s, c) = snapshot(packs: n)
    for map in [ModbusSinkSettings.Map.sunspec, .simple] {
        settings.map = map
        let bld = ModbusImageBuilder(settings: settings, banks: [c])
        let rounds = 200
        var t0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<rounds { _ = bld.image(s) }  // a snapshot made by hand: everything counts as changed
        let full = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000 / Double(rounds)
        var packs = s.packs
        t0 = DispatchTime.now().uptimeNanoseconds
        for r in 0..<rounds {
            let i = r % n
            packs[i].sequence += 1
            packs[i].reading?.soc = Double(r % 100)
            _ = bld.image(Snapshot(site: s.site, time: s.time, packs: packs, banks: s.banks, generation: r + 1,
                                   changedPacks: [i], changedBanks: [0], layout: s.layout))
        }
        let one = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000 / Double(rounds)
        print(String(format: "  image, %2d packs, %-7@: every pack new %8.1f µs, one pack changed %7.1f µs",
                     n, map.rawValue as NSString, full, one))
    }
}
