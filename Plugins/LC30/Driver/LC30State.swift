import Foundation

/// What the LC30 plugin keeps across restarts (a JSON file, option `state_file`): the
/// advanced configuration and the custom register profiles.
struct LC30State {
    var advancedMode = false
    var socSource = "bms"
    var fullCellVoltage = 4.2
    var emptyCellVoltage = 3.2
    var voltageGain = 1.0
    var voltageOffset = 0.0
    var currentGain = 1.0
    var currentOffset = 0.0
    var cellCount = 4
    /// name → {label, description, entries}
    var profiles: [String: [String: Any]] = [:]

    var configJSON: [String: Any] {
        ["advanced_mode": advancedMode, "soc_source": socSource, "full_cell_voltage": fullCellVoltage,
         "empty_cell_voltage": emptyCellVoltage, "voltage_gain": voltageGain, "voltage_offset": voltageOffset,
         "current_gain": currentGain, "current_offset": currentOffset, "cell_count": cellCount]
    }

    /// Applies the known keys of `o` (unknown ones are ignored, like the plugin).
    mutating func apply(_ o: [String: Any]) {
        if let v = o["advanced_mode"] as? Bool { advancedMode = v }
        if let v = o["soc_source"] as? String { socSource = v == "voltage_estimated" ? v : "bms" }
        if let v = Self.number(o["full_cell_voltage"]) { fullCellVoltage = v }
        if let v = Self.number(o["empty_cell_voltage"]) { emptyCellVoltage = v }
        if let v = Self.number(o["voltage_gain"]) { voltageGain = v }
        if let v = Self.number(o["voltage_offset"]) { voltageOffset = v }
        if let v = Self.number(o["current_gain"]) { currentGain = v }
        if let v = Self.number(o["current_offset"]) { currentOffset = v }
        if let v = Self.number(o["cell_count"]), (1...4).contains(Int(v)) { cellCount = Int(v) }
    }

    static func number(_ any: Any?) -> Double? {
        if let d = any as? Double { return d }
        if let i = any as? Int { return Double(i) }
        if let s = any as? String { return Double(s) }
        return nil
    }

    static func load(_ path: String) -> LC30State {
        var s = LC30State()
        guard let data = FileManager.default.contents(atPath: path),
              let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return s }
        s.apply((o["config"] as? [String: Any]) ?? [:])
        s.profiles = (o["profiles"] as? [String: [String: Any]]) ?? [:]
        return s
    }

    func save(_ path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let data = try JSONSerialization.data(withJSONObject: ["config": configJSON, "profiles": profiles], options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
