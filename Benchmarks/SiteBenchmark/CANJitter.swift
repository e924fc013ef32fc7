import BMSGate
import BenchSupport
import Foundation

/// The 32-pack site with file, modbus-tcp, http and mqtt sinks (and `extra` sink lines).
func bigSite(name: String, buses: String, packs: String, banks: String, dir: String, extra: [String] = []) -> String {
    let sinks = ["{type: file, path: \(dir)/readings.jsonl}",
                 "{type: modbus-tcp, listen: \"127.0.0.1:\(freePort())\", map: sunspec}",
                 "{type: http, listen: \"127.0.0.1:\(freePort())\"}",
                 "{type: mqtt, port: \(freePort()), interval: 1s}"] + extra
    return "site: \(name)\nbuses:\n\(buses)\npacks:\n\(packs)\nbanks:\n\(banks)\nsinks:\n" + sinks.map { "  - " + $0 }.joined(separator: "\n") + "\n"
}

/// 4. CAN period jitter: a site of 32 packs with every other sink on and a can sink (pylon,
/// 1 s) on one end of a socat pty pair; this thread reads the other end and timestamps each
/// 0x351. Prints the p50/p99/max deviation of the gaps from the period.
func canJitter(seconds: Double, buses: String, packs: String, banks: String) throws {
    let dir = NSTemporaryDirectory() + "bmsgate-bench-can-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let socat = Process()
    socat.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
    socat.arguments = ["pty,raw,echo=0,link=\(dir)/gateway", "pty,raw,echo=0,link=\(dir)/inverter"]
    do { try socat.run() } catch {
        print("CAN period jitter: skipped (socat not found: apt install socat)")
        return
    }
    defer { socat.terminate() }
    for _ in 0..<50 where !FileManager.default.fileExists(atPath: dir + "/inverter") { usleep(100_000) }
    let fd = open(dir + "/inverter", O_RDWR | O_NOCTTY)
    guard fd >= 0 else {
        print("CAN period jitter: skipped (cannot open the pty)")
        return
    }
    defer { close(fd) }
    let g = try gateway(bigSite(name: "big-can", buses: buses, packs: packs, banks: banks, dir: dir,
                                extra: ["{type: can, bank: bank1, profile: pylon, device: \(dir)/gateway, discharge_voltage: 48, charge_voltage: 55.2}"]))
    g.start()
    var arrivals: [UInt64] = []
    var splitter = SLCAN.LineSplitter()
    var buffer = [UInt8](repeating: 0, count: 4096)
    let end = MonotonicClock.nowMs() + UInt64(seconds * 1000)
    while MonotonicClock.nowMs() < end {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 100) > 0 else { continue }
        let now = MonotonicClock.nowMs()
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { continue }
        for case .line(.frame(let f)) in splitter.feed(buffer[0..<n]) where f.id == 0x351 { arrivals.append(now) }
    }
    g.stop()
    let gaps = zip(arrivals.dropFirst(2), arrivals.dropFirst()).map { abs(Double($0) - Double($1) - 1000) }.sorted()
    guard gaps.count > 2 else {
        print("CAN period jitter: too few frame sets (\(arrivals.count))")
        return
    }
    print(String(format: "CAN period jitter (pylon, period 1 s, 32 packs, every other sink on, %.0f s, %d sets): p50 %.1f ms, p99 %.1f ms, max %.1f ms (target p99 < 20 ms)",
                 seconds, arrivals.count, gaps[gaps.count / 2], gaps[min(gaps.count - 1, gaps.count * 99 / 100)], gaps.last!))
}
