// Site benchmarks (DESIGN.md, "Performance, measured not assumed"), printed as ratios:
//  1. poll cycle time of N packs on one simulated RS485 line paced at the baud rate,
//     against the wire time of the bytes exchanged (bytes x 10 / baud);
//  2. reading-to-register latency: a value changed in the emulator until a Modbus client
//     reads it, against the poll interval;
//  3. resident memory and CPU of a site with many packs and every sink on;
//  4. the can sink's frame-set period jitter on that site (--can-seconds, 60 by default);
//  5. the gateway alone, in its own process, at 8, 32, 64 and 128 packs (--alone-sizes,
//     --alone-seconds 20): CPU per reading, % of one core, RSS and private memory, the
//     time from a poll's answer to Modbus, and the growth of the cost per reading.
//
//     make bench
//     bmsgate-bench-site [--seconds 5] [--sections 1,2,3,4,5] ... (--help)
import BMSGate
import BenchSupport
import CModbus
import Foundation
import Logging

let options = BenchOptions(Array(CommandLine.arguments.dropFirst()))
let seconds = options.seconds
let logger: Logger = {
    var l = Logger(label: "bench")
    l.logLevel = .error
    return l
}()
let binDir = DriverLoader.executableDirectory() ?? "."
let catalog = DriverLoader.load(directories: [binDir])
guard catalog.driver("basen") != nil else {
    print("the basen plugin is not next to this binary (\(binDir)): build everything first")
    exit(1)
}

func gateway(_ yaml: String) throws -> Gateway {
    let site = try ConfigLoader.parse(yaml: yaml, file: "bench.yaml")
    return try Gateway(config: site, catalog: catalog, logger: logger)
}

// 1. Poll cycle vs wire time.
if options.sections.contains(1) {
    print("poll cycle on one simulated line at 9600 baud (Basen packs, poll_interval 50 ms: the line stays busy):")
    print("  packs  polls  wire time  elapsed  overhead (elapsed / wire)")
    for n in [1, 4, 8] {
        let packs = (1...n).map { "  - {id: p\($0), driver: basen, bus: lab, address: \($0), poll_interval: 50ms, timeout: 1s}" }.joined(separator: "\n")
        let g = try gateway("site: bench\nbuses: [{id: lab, type: sim, line_rate: 9600}]\npacks:\n\(packs)\n")
        g.start()
        Thread.sleep(forTimeInterval: 3)  // warm up (first polls read identity and parameters too)
        let before = g.emulatorTraffic["lab"] ?? (0, 0)
        let okBefore = g.site.peek().packs.map(\.counters.ok).reduce(0, +)
        let start = Date()
        Thread.sleep(forTimeInterval: seconds)
        let elapsed = Date().timeIntervalSince(start)
        let after = g.emulatorTraffic["lab"] ?? (0, 0)
        let polls = g.site.peek().packs.map(\.counters.ok).reduce(0, +) - okBefore
        g.stop()
        let bytes = (after.received - before.received) + (after.sent - before.sent)
        let wire = Double(bytes) * 10 / 9600
        print(String(format: "  %5d  %5d  %7.2f s  %5.2f s  %.2f", n, polls, wire, elapsed, elapsed / max(wire, 0.001)))
    }
}

// 2. Reading-to-register latency.
if options.sections.contains(2) {
    let port = freePort()
    let g2 = try gateway("""
        site: bench
        buses: [{id: lab, type: sim}]
        packs: [{id: p1, driver: basen, bus: lab, address: 1, poll_interval: 200ms}]
        banks: [{id: b1, packs: [p1]}]
        sinks: [{type: modbus-tcp, listen: "127.0.0.1:\(port)", map: simple}]
        """)
    g2.start()
    Thread.sleep(forTimeInterval: 1)
    let ctx = modbus_new_tcp("127.0.0.1", Int32(port))!
    modbus_set_slave(ctx, 1)
    guard modbus_connect(ctx) == 0 else { print("modbus connect failed"); exit(1) }
    var latencies: [Double] = []
    var registers = [UInt16](repeating: 0, count: 1)
    for i in 0..<20 {
        let soc = 20 + i * 3
        usleep(UInt32.random(in: 0..<200_000))  // not in step with the polls
        _ = g2.emulatorControl(bus: "lab", "set 1 soc=\(soc)")
        let t0 = Date()
        while Date().timeIntervalSince(t0) < 5 {
            if modbus_read_registers(ctx, 10, 1, &registers) == 1, Int(registers[0]) == soc * 10 { break }
            usleep(2000)
        }
        latencies.append(Date().timeIntervalSince(t0) * 1000)
    }
    modbus_close(ctx)
    modbus_free(ctx)
    g2.stop()
    latencies.sort()
    print(String(format: "reading-to-register latency (poll interval 200 ms, Modbus simple map): p50 %.0f ms, p95 %.0f ms, max %.0f ms; p50 / poll interval = %.2f",
                 latencies[latencies.count / 2], latencies[latencies.count * 95 / 100], latencies.last!, latencies[latencies.count / 2] / 200))
}

// 3. Memory and CPU of a big site with every sink.
let dir = NSTemporaryDirectory() + "bmsgate-bench-\(getpid())"
let buses = (1...4).map { "  - {id: line\($0), type: sim}" }.joined(separator: "\n")
let packs = (1...32).map { i in "  - {id: p\(i), driver: basen, bus: line\((i - 1) / 8 + 1), address: \((i - 1) % 8 + 1), poll_interval: 1s}" }.joined(separator: "\n")
func bankLine(_ b: Int) -> String {
    let members = ((b - 1) * 8 + 1...b * 8).map { "p\($0)" }.joined(separator: ", ")
    return "  - {id: bank\(b), packs: [\(members)]}"
}
let banks = (1...4).map(bankLine).joined(separator: "\n")
func rusage() -> (cpu: Double, rssMB: Double) {
    var u = Glibc.rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    let cpu = Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }.flatMap { Double($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
    return (cpu, rss / 1024)
}
if options.sections.contains(3) {
    let g3 = try gateway(bigSite(name: "big", buses: buses, packs: packs, banks: banks, dir: dir))
    g3.start()
    Thread.sleep(forTimeInterval: 2)
    let r0 = rusage(), t0 = Date()
    Thread.sleep(forTimeInterval: seconds * 2)
    let r1 = rusage(), wall = Date().timeIntervalSince(t0)
    let online = g3.site.peek().packs.filter(\.online).count
    g3.stop()
    try? FileManager.default.removeItem(atPath: dir)
    print(String(format: "32 packs on 4 lines, 4 banks, file + modbus-tcp + http + mqtt sinks: %d/32 online, RSS %.1f MB, CPU %.1f %% of one core (%.2f s CPU in %.1f s)",
                 online, r1.rssMB, (r1.cpu - r0.cpu) / wall * 100, r1.cpu - r0.cpu, wall))
}

// 4. CAN frame-set period jitter with the big site running.
if options.sections.contains(4) { try canJitter(seconds: options.canSeconds, buses: buses, packs: packs, banks: banks) }

// 5. The gateway alone at several sizes.
if options.sections.contains(5) { try printGatewayAlone(sizes: options.aloneSizes, seconds: options.aloneSeconds) }
