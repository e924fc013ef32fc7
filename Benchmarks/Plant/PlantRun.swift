import BMSGate
import BenchSupport
import Foundation

/// What one scenario run with one inverter model measured.
struct PlantResult {
    var scenario: String
    var inverter: String
    var rules: String
    var highestCell = 0.0
    var reversals = 0
    var realSeconds = 0.0
    var secondsToFloat: Double?
    /// The last phase the gateway reported.
    var lastPhase: String?
    var largestVoltageStep = 0.0
    var exportedWh = 0.0
    var finalSocError: Double?
    /// What the scenario itself checks (the outage, the cold), in words with its figures.
    var notes: [String] = []
    var reversalsPerHour: Double { realSeconds > 0 ? Double(reversals) / realSeconds * 3600 : 0 }
}

/// A scenario: the pack at the start.
struct Scenario {
    var name: String
    var battery: Battery
    /// Charge available from the sun, A.
    var available = 80.0
    /// The cells' temperature (°C) at a real second of the run.
    var temperature: @Sendable (Double) -> Double = { _ in 25 }
    /// When the pack stops answering and when it answers again (real seconds), if it does.
    var outage: ClosedRange<Double>?

    /// The pack stops answering for 15 s in the middle of a charge (from 85 %), then
    /// comes back: every link must say 0 A within stale_after + a poll, and the charge
    /// resumes.
    static func packDrop() -> Scenario {
        var s = sunnyDay()
        s.name = "pack-drop"
        s.battery.soc = s.battery.soc.map { $0 + 0.55 }
        s.outage = 20...35
        return s
    }

    /// A cold morning warming into a hot afternoon (-2 °C to 52 °C over the run, from 60 %):
    /// the charge current follows the temperature window (none at 0 °C and under, tapered
    /// to 5 °C, tapered again from 40 °C, none from 50 °C).
    static func coldToHot() -> Scenario {
        var s = sunnyDay()
        s.name = "cold-to-hot"
        s.battery.soc = s.battery.soc.map { $0 + 0.30 }
        s.temperature = { t in min(52, -2 + t * 0.25) }
        return s
    }

    static func sunnyDay() -> Scenario {
        // 16 cells of 100 Ah (±1 %), 30 % charged, one cell 2.5 % ahead (60-100 mV ahead at the top).
        var capacity = (0..<16).map { 100 * (1 + 0.01 * sin(Double($0) * 1.7)) }
        capacity[0] = 100
        var soc = Array(repeating: 0.30, count: 16)
        soc[3] = 0.325
        return Scenario(name: "sunny-day", battery: Battery(capacity: capacity, soc: soc))
    }

    /// The last minutes of a charge (the end-to-end test's short scenario): 98.5 %, one cell
    /// 1 % ahead.
    static func topOfCharge() -> Scenario {
        var soc = Array(repeating: 0.985, count: 16)
        soc[3] = 0.995
        return Scenario(name: "top-of-charge", battery: Battery(capacity: Array(repeating: 100.0, count: 16), soc: soc))
    }

    static func runawayCell() -> Scenario {
        // One weak cell (85 % of the others' capacity) runs away at the top.
        var capacity = Array(repeating: 100.0, count: 16)
        capacity[7] = 85
        return Scenario(name: "runaway-cell", battery: Battery(capacity: capacity, soc: Array(repeating: 0.80, count: 16)))
    }
}

/// One closed loop: the real gateway (`bmsgate run`) polling a Basen pack emulator
/// (`bmsgate simulate`) whose cells, current and SoC come from the plant's battery model
/// every step, and talking CAN (pylon profile, SLCAN over a socat pty pair) to the plant's
/// inverter model, which charges the battery from what the frames say.
struct PlantRun {
    let binDir: String
    let scenario: Scenario
    let model: InverterModel
    let memoryless: Bool
    /// Simulated seconds per real second while every cell is below 3.42 V (the flat middle of
    /// the curve, where nothing happens fast); near the top the plant runs at 2x so the
    /// gateway's own reaction time (a poll, a frame set, the inverter's lag: about 2 s) is
    /// not stretched against the battery's.
    let speed: Double
    let maxSeconds: Double
    /// Where to keep each run's files (site, gateway log, `trace.csv`); nil: removed after the run.
    var keepIn: String?
    /// python-can as the inverter's end (the Python with python-can, the repository's
    /// Tests/PythonTools/can_peer.py); nil: the plant's own SLCAN reader.
    var pythonCAN: (python: String, script: String)?

    func run() throws -> PlantResult {
        let dir = (keepIn ?? NSTemporaryDirectory()) + "/bmsgate-plant-\(scenario.name)-\(model.rawValue)-\(memoryless ? "base" : "ctl")-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if keepIn == nil { try? FileManager.default.removeItem(atPath: dir) } }
        _ = FileManager.default.createFile(atPath: dir + "/trace.csv", contents: Data("seconds,phase,cvl,ccl,bank_v,current,highest_cell,lowest_cell\n".utf8))
        let trace = FileHandle(forWritingAtPath: dir + "/trace.csv")
        defer { try? trace?.close() }
        let http = freePort()
        try """
            site: plant
            buses: [{id: line, type: serial, device: \(dir)/tty, baud: 115200}]
            packs: [{id: p1, driver: basen, bus: line, address: 1, poll_interval: 500ms, timeout: 300ms}]
            banks:
              - id: main
                packs: [p1]
                stale_after: 3s
                limits: {charge_voltage: 56.0, charge_current: 50, discharge_current: 100, cell_voltage_max: 3.60, taper_start: 3.50, discharge_voltage: 46.4,
                         charge_temperature: {min: 0, low: 5, high: 40, max: 50}}
                charge: {absorption_cell_voltage: 3.45, absorption_hold: 20s, absorption_max: 120s, tail_current: 5\(memoryless ? ", rules: memoryless" : "")}
            sinks:
              - {type: can, bank: main, profile: pylon, device: \(dir)/gateway, period: 500ms}
              - {type: http, listen: "127.0.0.1:\(http)"}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let socat = try Spawned("/usr/bin/socat", ["pty,raw,echo=0,link=\(dir)/gateway", "pty,raw,echo=0,link=\(dir)/inverter"])
        defer { socat.stop() }
        let emulator = try Spawned(binDir + "/bmsgate", ["simulate", "--driver", "basen", "--link", dir + "/tty", "--address", "1"])
        defer { emulator.stop() }
        guard waitFor(10, { FileManager.default.fileExists(atPath: dir + "/inverter") && FileManager.default.fileExists(atPath: dir + "/tty") }) else {
            throw PlantError("the pty pair or the emulator did not come up")
        }
        var battery = scenario.battery
        emulator.send(emulatorLine(battery))
        let gateway = try Spawned(binDir + "/bmsgate", ["run", "--config", dir + "/site.yaml"], log: dir + "/gateway.log")
        defer { gateway.stop() }
        let can: InverterPeer
        let pythonPeer: PythonCANPeer?
        if let p = pythonCAN {
            pythonPeer = try PythonCANPeer(python: p.python, script: p.script, path: dir + "/inverter", seconds: maxSeconds)
            can = pythonPeer!
        } else {
            pythonPeer = nil
            can = try SLCANPeer(path: dir + "/inverter")
        }
        defer { pythonPeer?.stop() }

        var result = PlantResult(scenario: scenario.name, inverter: model.rawValue + (pythonCAN == nil ? "" : " (python-can)"),
                                 rules: memoryless ? "memoryless (before)" : "controller")
        var cvl = 0.0, ccl = 0.0, lastCVL: Double?
        var direction: [Int] = [0, 0]  // last move of CCL and CVL: -1, 0, +1
        var lastLimits: (Double, Double)?
        var exportUntil = 0.0
        var absorptionAt: Double?
        let start = Date()
        var lastKeepalive = -1.0, lastPoll = -1.0
        let step = 0.2
        var silent = false, outageMaxCCL = 0.0, outageZeroAt: Double?, coldMaxCCL = 0.0, hotMaxCCL = 0.0
        while true {
            let t = Date().timeIntervalSince(start)
            if t > maxSeconds || (result.secondsToFloat != nil && t > (absorptionAt ?? 0) + 30) { break }
            if t - lastKeepalive >= 1 { can.sendKeepalive(); lastKeepalive = t }
            for frame in can.frames() where frame.id == 0x351 && frame.data.count >= 4 {
                cvl = Double(Int(frame.data[0]) | Int(frame.data[1]) << 8) / 10
                ccl = Double(Int16(bitPattern: UInt16(frame.data[2]) | UInt16(frame.data[3]) << 8)) / 10
                if let last = lastCVL, last - cvl > result.largestVoltageStep { result.largestVoltageStep = last - cvl }
                if model == .stepExport, let last = lastCVL, last - cvl > 0.2 { exportUntil = t + 5 }
                lastCVL = cvl
                // A reversal: a limit that rose then fell (or fell then rose) by more than 1 A / 0.05 V.
                if let (pc, pv) = lastLimits {
                    for (k, delta, threshold) in [(0, ccl - pc, 1.0), (1, cvl - pv, 0.05)] where abs(delta) > threshold {
                        let d = delta > 0 ? 1 : -1
                        if direction[k] != 0 && direction[k] != d { result.reversals += 1 }
                        direction[k] = d
                    }
                    if abs(ccl - pc) > 1 || abs(cvl - pv) > 0.05 { lastLimits = (ccl, cvl) }
                } else {
                    lastLimits = (ccl, cvl)
                }
            }
            // The scenario's events: an outage of the pack; what the links say meanwhile.
            if let outage = scenario.outage {
                if !silent, outage.contains(t) {
                    emulator.send("silence 1")
                    silent = true
                } else if silent, t > outage.upperBound {
                    emulator.send("answer 1")
                    silent = false
                }
                // From stale_after (3 s) plus a poll and a frame set after the drop: 0 A.
                if silent, t > outage.lowerBound + 4.5 { outageMaxCCL = max(outageMaxCCL, ccl) }
                if silent, outageZeroAt == nil, ccl == 0 { outageZeroAt = t - outage.lowerBound }
            }
            let temperature = scenario.temperature(t)
            if temperature <= 0.5 { coldMaxCCL = max(coldMaxCCL, ccl) }
            if temperature >= 50 { hotMaxCCL = max(hotMaxCCL, ccl) }
            // The inverter: its target through its lag; a step-sensitive one exports for 5 s.
            var target = model.target(chargeVoltage: cvl, chargeLimit: ccl, batteryVoltage: battery.voltage, available: scenario.available)
            if t < exportUntil { target = -20 }
            battery.current += (target - battery.current) * min(1, step / model.lag)
            let pace = (battery.cells.max() ?? 0) < 3.42 ? speed : 2
            if battery.current < 0 { result.exportedWh += -battery.current * battery.voltage * step * pace / 3600 }
            battery.advance(seconds: step * pace)
            result.highestCell = max(result.highestCell, battery.cells.max() ?? 0)
            emulator.send(emulatorLine(battery, temperature: temperature))
            if t - lastPoll >= 1 {
                lastPoll = t
                let phase = gatewayPhase(http)
                trace?.seekToEndOfFile()
                trace?.write(Data(String(format: "%.1f,%@,%.2f,%.1f,%.3f,%.1f,%.3f,%.3f\n", t, phase ?? "", cvl, ccl, battery.voltage, battery.current,
                                         battery.cells.max() ?? 0, battery.cells.min() ?? 0).utf8))
                if let phase {
                    result.lastPhase = phase
                    if absorptionAt == nil, phase == "absorption" { absorptionAt = t }
                    if result.secondsToFloat == nil, phase == "float", let a = absorptionAt { result.secondsToFloat = t - a }
                }
                if memoryless, absorptionAt == nil, cvl > 0, battery.voltage >= 3.45 * 16 - 0.01 { absorptionAt = t }
            }
            Thread.sleep(forTimeInterval: step)
        }
        result.realSeconds = Date().timeIntervalSince(start)
        if let outage = scenario.outage {
            result.notes.append("pack silent \(Int(outage.upperBound - outage.lowerBound)) s: 0 A after \(outageZeroAt.map { String(format: "%.1f s", $0) } ?? "never"), at most \(String(format: "%.1f", outageMaxCCL)) A from 4.5 s on")
        }
        if scenario.name == "cold-to-hot" {
            result.notes.append(String(format: "charge at <= 0.5 °C: at most %.1f A; from 50 °C: %@", coldMaxCCL, result.realSeconds > 208 ? String(format: "at most %.1f A", hotMaxCCL) : "not reached"))
        }
        result.finalSocError = nil
        return result
    }

    /// The emulator's control line for the battery now.
    func emulatorLine(_ b: Battery, temperature: Double = 25) -> String {
        let cells = b.cells.enumerated().map { "cell\($0.offset + 1)=\(String(format: "%.3f", $0.element))" }.joined(separator: " ")
        let temps = (1...4).map { "temp\($0)=\(Int(temperature.rounded()))" }.joined(separator: " ")
        return "set 1 drift=off current=\(String(format: "%.2f", b.current)) soc=\(String(format: "%.2f", b.packSoc * 100)) capacity=100 \(temps) \(cells)"
    }

    /// The bank's phase as the gateway's API says it.
    func gatewayPhase(_ port: Int) -> String? {
        guard let data = httpGet(port, "/api/site", timeout: 2),
              let site = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let bank = (site["banks"] as? [[String: Any]])?.first,
              let phase = (bank["limits"] as? [String: Any])?["phase"] as? [String: Any] else { return nil }
        return phase["name"] as? String
    }
}

struct PlantError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
