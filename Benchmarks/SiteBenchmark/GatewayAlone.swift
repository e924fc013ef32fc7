import BMSGate
import BenchSupport
import CModbus
import Foundation

/// 5. The gateway alone (issue "per-reading cost"): `bmsgate run` in its own process, the
/// emulators in theirs (`bmsgate simulate`, 8 Basen packs per pty line paced at 115200
/// baud, one bank per line, every pack polled once a second), file + modbus-tcp + http +
/// mqtt sinks (a mosquitto broker when installed). Per size: CPU of the gateway process
/// (/proc/PID/stat) per good reading and in % of one core, resident and private memory
/// (/proc/PID/smaps_rollup), and the time from a poll's answer to the value on Modbus.
struct AloneResult {
    var packs: Int
    var online: Int
    var readings: Int
    var cpuSeconds: Double
    var wall: Double
    var rssMB: Double
    var privateMB: Double
    var latencyP50: Double
    var latencyP99: Double
    var perReadingMicros: Double { readings > 0 ? cpuSeconds / Double(readings) * 1e6 : .nan }
    var corePercent: Double { cpuSeconds / wall * 100 }
}

/// utime + stime of `pid`, seconds.
func processCPU(_ pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // After the command: state is field 0; utime and stime are fields 11 and 12.
    guard fields.count > 12, let u = Double(fields[11]), let s = Double(fields[12]) else { return 0 }
    return (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// Resident and private (clean + dirty) memory of `pid`, MB.
func processMemory(_ pid: Int32) -> (rss: Double, priv: Double) {
    let text = (try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8)) ?? ""
    func kb(_ key: String) -> Double {
        text.split(separator: "\n").first { $0.hasPrefix(key + ":") }.flatMap { Double($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") } ?? 0
    }
    return (kb("Rss") / 1024, (kb("Private_Clean") + kb("Private_Dirty")) / 1024)
}

/// The packs of /api/site: (id, online, ok polls, reading time).
func sitePacks(_ port: Int) -> [(id: String, online: Bool, ok: Int, time: Date?)] {
    guard let data = httpGet(port, "/api/site"),
          let site = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
          let packs = site["packs"] as? [[String: Any]] else { return [] }
    let iso = ISO8601DateFormatter()
    iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return packs.map { p in
        ((p["pack"] as? String) ?? "", (p["online"] as? Bool) ?? false,
         ((p["stats"] as? [String: Any])?["ok"] as? Int) ?? 0, (p["time"] as? String).flatMap(iso.date(from:)))
    }
}

func gatewayAlone(packs n: Int, seconds: Double) throws -> AloneResult {
    let dir = NSTemporaryDirectory() + "bmsgate-alone-\(getpid())-\(n)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let exe = binDir + "/bmsgate"
    let lines = (n + 7) / 8
    var emulators: [Spawned] = []
    defer { emulators.forEach { $0.stop() } }
    for l in 1...lines {
        let count = min(8, n - (l - 1) * 8)
        emulators.append(try Spawned(exe, ["simulate", "--driver", "basen", "--link", "\(dir)/line\(l)", "--line-rate", "115200"]
                                     + (1...count).flatMap { ["--address", String($0)] }))
    }
    // A one-pack line whose bank answers on unit 100 of a simple map: the latency probe.
    let probe = try Spawned(exe, ["simulate", "--driver", "basen", "--link", "\(dir)/probe", "--line-rate", "115200", "--address", "1"])
    emulators.append(probe)
    var broker: Spawned?
    let mqttPort = freePort()
    if FileManager.default.fileExists(atPath: "/usr/sbin/mosquitto") {
        try "listener \(mqttPort) 127.0.0.1\nallow_anonymous true\npersistence false\n".write(toFile: dir + "/mosquitto.conf", atomically: true, encoding: .utf8)
        broker = try Spawned("/usr/sbin/mosquitto", ["-c", dir + "/mosquitto.conf"])
    }
    defer { broker?.stop() }
    for _ in 0..<100 where !(1...lines).allSatisfy({ FileManager.default.fileExists(atPath: "\(dir)/line\($0)") }) || !FileManager.default.fileExists(atPath: dir + "/probe") {
        usleep(100_000)
    }
    let http = freePort(), simple = freePort()
    var yaml = "site: alone\nbuses:\n"
    yaml += (1...lines).map { "  - {id: line\($0), type: serial, device: \(dir)/line\($0), baud: 115200}" }.joined(separator: "\n")
    yaml += "\n  - {id: probe-line, type: serial, device: \(dir)/probe, baud: 115200}\npacks:\n"
    yaml += (0..<n).map { i in "  - {id: p\(i + 1), driver: basen, bus: line\(i / 8 + 1), address: \(i % 8 + 1), poll_interval: 1s, timeout: 300ms}" }.joined(separator: "\n")
    yaml += "\n  - {id: probe, driver: basen, bus: probe-line, address: 1, poll_interval: 1s, timeout: 300ms}\nbanks:\n"
    yaml += (1...lines).map { l in
        let members = ((l - 1) * 8..<min(n, l * 8)).map { "p\($0 + 1)" }.joined(separator: ", ")
        return "  - {id: bank\(l), unit_id: \(l), packs: [\(members)], limits: {charge_current: 100, discharge_current: 100}}"
    }.joined(separator: "\n")
    yaml += "\n  - {id: probe-bank, unit_id: 100, packs: [probe], limits: {charge_current: 100, discharge_current: 100}}\nsinks:\n"
    yaml += ["{type: file, path: \(dir)/readings.jsonl}", "{type: modbus-tcp, listen: \"127.0.0.1:\(freePort())\", map: sunspec}",
             "{type: modbus-tcp, listen: \"127.0.0.1:\(simple)\", map: simple}", "{type: http, listen: \"127.0.0.1:\(http)\"}",
             "{type: mqtt, port: \(mqttPort), interval: 1s}"].map { "  - " + $0 }.joined(separator: "\n") + "\n"
    try yaml.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
    let gw = try Spawned(exe, ["run", "--config", dir + "/site.yaml", "--log-level", "error"])
    defer { gw.stop() }
    let pid = gw.process.processIdentifier
    for _ in 0..<200 {
        let packs = sitePacks(http)
        if packs.count == n + 1 && packs.allSatisfy(\.online) { break }
        usleep(100_000)
    }
    Thread.sleep(forTimeInterval: 3)  // warm up: identity and parameter reads are done
    let ok0 = sitePacks(http).reduce(0) { $0 + $1.ok }, cpu0 = processCPU(pid), t0 = Date()
    Thread.sleep(forTimeInterval: seconds)
    let cpu1 = processCPU(pid), wall = Date().timeIntervalSince(t0), after = sitePacks(http)
    let ok1 = after.reduce(0) { $0 + $1.ok }
    let memory = processMemory(pid)

    // From the probe's answer (its reading time) to the new SoC readable on Modbus.
    var latencies: [Double] = []
    if let ctx = modbus_new_tcp("127.0.0.1", Int32(simple)) {
        modbus_set_slave(ctx, 100)
        if modbus_connect(ctx) == 0 {
            var reg = [UInt16](repeating: 0, count: 1)
            for i in 0..<15 {
                let soc = 30 + i * 4
                probe.send("set 1 soc=\(soc)")
                let start = Date()
                var seen: Date?
                while Date().timeIntervalSince(start) < 4 {
                    if modbus_read_registers(ctx, 10, 1, &reg) == 1, Int(reg[0]) == soc * 10 { seen = Date(); break }
                    usleep(500)
                }
                if let seen, let read = sitePacks(http).first(where: { $0.id == "probe" })?.time {
                    latencies.append(max(0, seen.timeIntervalSince(read) * 1000))
                }
            }
            modbus_close(ctx)
        }
        modbus_free(ctx)
    }
    latencies.sort()
    return AloneResult(packs: n, online: after.filter { $0.online && $0.id != "probe" }.count, readings: ok1 - ok0,
                       cpuSeconds: cpu1 - cpu0, wall: wall, rssMB: memory.rss, privateMB: memory.priv,
                       latencyP50: latencies.isEmpty ? .nan : latencies[latencies.count / 2],
                       latencyP99: latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, latencies.count * 99 / 100)])
}

/// The table, with the growth ratio of the cost per reading (largest size over 8 packs).
func printGatewayAlone(sizes: [Int], seconds: Double) throws {
    print("the gateway alone (bmsgate run in its own process; emulators in theirs, 8 Basen packs per line at 115200 baud, 1 poll/s per pack;")
    print("  file + modbus-tcp (sunspec and simple) + http + mqtt sinks; \(Int(seconds)) s per size):")
    print("  packs  online  readings  CPU/reading  CPU % of one core  RSS MB  private MB  answer->Modbus p50 / p99")
    var results: [AloneResult] = []
    for n in sizes {
        let r = try gatewayAlone(packs: n, seconds: seconds)
        results.append(r)
        print(String(format: "  %5d  %6d  %8d  %8.0f µs  %17.2f  %6.1f  %10.1f  %6.1f / %.1f ms",
                     r.packs, r.online, r.readings, r.perReadingMicros, r.corePercent, r.rssMB, r.privateMB, r.latencyP50, r.latencyP99))
    }
    if let first = results.first, let last = results.last, results.count > 1 {
        print(String(format: "  growth of the cost per reading, %d packs over %d: %.2f (linear = 1.0; target <= 1.2)",
                     last.packs, first.packs, last.perReadingMicros / first.perReadingMicros))
    }
}
