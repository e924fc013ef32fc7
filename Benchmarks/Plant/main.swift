import BMSGate
import Foundation

/// Prints a line at once (also into a file: progress, not a buffer's worth at the end).
func say(_ line: String = "") { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

// bmsgate-plant: the charge controller proven in closed loop (issue "Charge control a
// battery would choose"). Each run starts the real gateway, a Basen emulator fed by the
// plant's battery model and an SLCAN inverter model; today's controller and the memoryless
// rules from before it run the same scenarios in the same run.

let usage = """
    usage: bmsgate-plant [--seconds N] [--speed X] [--scenarios a,b] [--inverters a,b] [--json FILE]
      --seconds     longest run, real seconds (default 360)
      --speed       simulated seconds per real second below 3.42 V a cell (default 60; 2 above)
      --scenarios   sunny-day, runaway-cell, pack-drop, cold-to-hot (default: all four), top-of-charge
      --rules       controller, memoryless (default: both)
      --inverters   \(InverterModel.allCases.map(\.rawValue).joined(separator: ", ")) (default: all for sunny-day and
                    runaway-cell, follows and voltage-only for pack-drop and cold-to-hot)
      --json        also write the results as JSON
      --keep DIR    keep each run's site, gateway log and trace.csv (1 s: phase, limits, cells) in DIR
      --python-can PYTHON  the inverter's end is python-can's slcan interface (Tests/PythonTools/can_peer.py
                    run by PYTHON, a Python with python-can), not the plant's own SLCAN reader
    """
var seconds = 360.0, speed = 60.0, json: String?, keep: String?, pythonCAN: String?
var scenarioNames = ["sunny-day", "runaway-cell", "pack-drop", "cold-to-hot"], inverterNames: [String]?
var ruleNames = ["controller", "memoryless"]
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--seconds": seconds = Double(args.popFirst() ?? "") ?? seconds
    case "--speed": speed = Double(args.popFirst() ?? "") ?? speed
    case "--scenarios": scenarioNames = (args.popFirst() ?? "").split(separator: ",").map(String.init)
    case "--inverters": inverterNames = (args.popFirst() ?? "").split(separator: ",").map(String.init)
    case "--json": json = args.popFirst()
    case "--keep": keep = args.popFirst()
    case "--python-can": pythonCAN = args.popFirst()
    case "--rules": ruleNames = (args.popFirst() ?? "").split(separator: ",").map(String.init)
    default:
        say(usage)
        exit(a == "--help" || a == "-h" ? 0 : 2)
    }
}
let binDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
// The repository: the plant runs from .build/<triple>/<configuration>/.
let canPeerScript = URL(fileURLWithPath: binDir).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Tests/PythonTools/can_peer.py").path
let scenarios = scenarioNames.compactMap { name -> Scenario? in
    switch name {
    case "sunny-day": Scenario.sunnyDay()
    case "runaway-cell": Scenario.runawayCell()
    case "top-of-charge": Scenario.topOfCharge()
    case "pack-drop": Scenario.packDrop()
    case "cold-to-hot": Scenario.coldToHot()
    default: nil
    }
}
let memorylessChoices = ruleNames.compactMap { $0 == "controller" ? false : ($0 == "memoryless" ? true : nil) }
// By default every inverter meets the charge scenarios; the outage and the temperatures
// (which test the failsafe and the windows, not the inverters' manners) meet two.
let chosenInverters = inverterNames
func models(for scenario: Scenario) -> [InverterModel] {
    if let names = chosenInverters { return names.compactMap(InverterModel.init(rawValue:)) }
    return ["pack-drop", "cold-to-hot"].contains(scenario.name) ? [.follows, .voltageOnly] : InverterModel.allCases
}
let runCount = scenarios.map { models(for: $0).count }.reduce(0, +) * memorylessChoices.count
say("plant: \(runCount) run(s) (\(scenarios.count) scenario(s), \(memorylessChoices.count) rule set(s)), at most \(Int(seconds)) s each at \(speed)x; two runs at a time")

// Two runs at a time (each is a gateway, an emulator and socat): the table after all.
let runs = scenarios.flatMap { s in models(for: s).flatMap { m in memorylessChoices.map { PlantRun(binDir: binDir, scenario: s, model: m, memoryless: $0, speed: speed, maxSeconds: seconds, keepIn: keep,
                                                                  pythonCAN: pythonCAN.map { ($0, canPeerScript) }) } } }
let collected = Results()
let group = DispatchGroup()
let slots = DispatchSemaphore(value: 2)
for run in runs {
    slots.wait()
    group.enter()
    Thread.detachNewThread {
        defer { slots.signal(); group.leave() }
        do {
            let r = try run.run()
            collected.add(r)
            say("  done: \(r.scenario) / \(r.inverter) / \(r.rules): highest cell \(String(format: "%.3f", r.highestCell)) V")
        } catch {
            say("  \(run.scenario.name) / \(run.model.rawValue): \(error)")
        }
    }
}
group.wait()
var results = collected.all
results.sort { ($0.scenario, $0.inverter, $0.rules) < ($1.scenario, $1.inverter, $1.rules) }
say("")
say("| scenario | inverter | rules | highest cell | limit reversals (per hour) | absorption → float | largest CVL drop | exported by a step |")
say("|---|---|---|---|---|---|---|---|")
for r in results {
    let float = r.secondsToFloat.map { String(format: "%.0f s", $0) } ?? "never"
    say("| \(r.scenario) | \(r.inverter) | \(r.rules) | \(String(format: "%.3f V", r.highestCell)) | \(r.reversals) (\(String(format: "%.0f", r.reversalsPerHour))) | \(float) | \(String(format: "%.2f V", r.largestVoltageStep)) | \(String(format: "%.1f Wh", r.exportedWh)) |")
}
for r in results where !r.notes.isEmpty {
    say("- \(r.scenario) / \(r.inverter) / \(r.rules): \(r.notes.joined(separator: "; "))")
}
if let json {
    let rows = results.map { r -> [String: Any] in
        ["scenario": r.scenario, "inverter": r.inverter, "rules": r.rules, "highest_cell": r.highestCell, "reversals": r.reversals,
         "reversals_per_hour": r.reversalsPerHour, "seconds_to_float": r.secondsToFloat as Any, "largest_voltage_drop": r.largestVoltageStep,
         "exported_wh": r.exportedWh, "real_seconds": r.realSeconds, "last_phase": r.lastPhase as Any, "notes": r.notes]
    }
    if let data = try? JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys]) {
        _ = FileManager.default.createFile(atPath: json, contents: data)
    }
}

/// The runs' results, added from their threads.
final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [PlantResult] = []
    func add(_ r: PlantResult) { lock.withLock { items.append(r) } }
    var all: [PlantResult] { lock.withLock { items } }
}
