import BMSDriverKit
import Foundation

/// Simulated REC BMS units on one RS485 line, answering from the same instruction set the
/// driver reads: one or several addresses, each with one or several BMS units (MultiBMS,
/// cells in series). Writes are range-checked against the instruction set and stored.
///
/// Options: `addresses` (comma list, default 1), `units` (BMS units per address, default 1;
/// 2 or more = MultiBMS), `cells` (per unit, default the JSON's CellCount), `instructions`.
/// Control commands: `silence N | answer N | set N key=value... | error N NUMBER [UNIT CELL] |
/// clear N | status | help`; `set` keys: soc (%), soh (%), current (A), cells (V, all),
/// cell<i> (V, counting across units), temp<i> (°C), bms_temp (°C), or any instruction code
/// of a setting (e.g. CAPA=200).
public final class RECEmulator: BMSEmulator {
    final class Unit {
        var cells: [Double]
        var temps: [Double]
        var resistances: [Double]
        init(cells: Int, index: Int, address: Int) {
            self.cells = (0..<cells).map { 3.300 + Double(($0 * 7 + index * 3 + address) % 11) / 1000 }
            temps = [21.5 + Double(index), 22.0 + Double(address)]
            resistances = (0..<cells).map { 0.0004 + Double(($0 + index) % 5) / 10000 }
        }
    }

    final class Device {
        var units: [Unit]
        var current: Double
        var soc = 0.72
        var soh = 0.98
        var bmsTemp = 28.5
        var error: [Double] = [0, 0, 0, 0]
        var settings: [String: Double]
        var silent = false
        init(units: [Unit], current: Double, settings: [String: Double]) {
            self.units = units
            self.current = current
            self.settings = settings
        }
        var allCells: [Double] { units.flatMap(\.cells) }
    }

    /// Setting defaults of a LiFePO4 pack (others start at the middle of their range).
    static let defaults: [String: Double] = [
        "BVOL": 3.58, "BMIN": 3.40, "CMAX": 3.65, "MAXH": 0.25, "CMIN": 2.80, "MINH": 0.10, "CHAR": 3.55, "CHIS": 0.25,
        "RAZL": 0.20, "TMAX": 55, "TMIN": 0, "TBAL": 65, "BMTH": 5, "IOFF": 0, "IOJA": 0.1, "CYCL": 42, "CAPA": 280,
        "CHEM": 3, "SOCH": 0.05, "SOCS": 0.72, "CHAC": 0.5, "DCHC": 1.0, "SISN": 1, "MAXC": 100, "MAXD": 150,
        "CLOW": 3.0, "CANF": 1, "VMAX": 0, "VMIN": 0, "EAVC": 0, "ODDC": 0,
    ]

    let set: RECInstructionSet
    var devices: [UInt8: Device] = [:]
    var input: [UInt8] = []

    public init(options: DriverOptions) throws(DriverError) {
        try options.rejectUnknown(["addresses", "units", "cells", "instructions"])
        set = try RECInstructionSet.load(path: options["instructions"])
        let unitCount = options["units"].flatMap(DriverOptions.parseInteger) ?? (set.multiBMS ? 2 : 1)
        let cells = options["cells"].flatMap(DriverOptions.parseInteger) ?? set.cellCount
        guard (1...16).contains(unitCount), (1...64).contains(cells) else { throw .invalid("units must be 1...16 and cells 1...64") }
        for item in (options["addresses"] ?? "1").split(separator: ",") {
            guard let a = DriverOptions.parseInteger(String(item)), (1...15).contains(a) else {
                throw .invalid("emulator address '\(item)' is not in 1...15")
            }
            var settings: [String: Double] = [:]
            for i in set.instructions where i.handler == .range {
                settings[i.code] = Self.defaults[i.code] ?? i.range.map { ($0.lowerBound + $0.upperBound) / 2 } ?? 0
            }
            devices[UInt8(a)] = Device(units: (0..<unitCount).map { Unit(cells: cells, index: $0, address: a) },
                                       current: a == 1 ? -12.5 : 8.25, settings: settings)
        }
    }

    public func exchange(_ bytes: [UInt8]) -> [UInt8] {
        input += bytes
        var out: [UInt8] = []
        var decoder = RECFrameDecoder()
        while true {
            let frame: RECFrame?
            do { frame = try decoder.decode(&input) } catch { continue }  // a bad CRC is dropped, like the real device
            guard let frame else { break }
            guard frame.source == 0, let device = devices[frame.destination], !device.silent else { continue }
            for message in answer(frame.text, device) {
                out += RECFrame(destination: 0, source: frame.destination, message: message).encoded
            }
        }
        return out
    }

    /// A setting as the BMS writes it: the number as short text ("3.58").
    static func text(_ v: Double) -> [UInt8] { Array(RECCommand.formatted(v).utf8) }

    static func float(_ v: Double) -> [UInt8] {
        let bits = Float(v).bitPattern
        return [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)]
    }

    /// The answer frames' messages to `message`, built from the instruction's handler and fields.
    func answer(_ message: String, _ d: Device) -> [[UInt8]] {
        let isQuery = message.hasSuffix("?")
        let parts = message.split(separator: " ", maxSplits: 1).map(String.init)
        let code = isQuery ? String(message.dropLast()) : parts[0]
        guard let instruction = set.instruction(code) else { return [] }
        if !isQuery {
            guard parts.count == 2, let v = Double(parts[1]), !instruction.readOnly,
                  instruction.range?.contains(v) ?? false else { return [Self.text(d.settings[code] ?? 0)] }
            d.settings[code] = v
            return [Self.text(v)]
        }
        switch instruction.handler {
        case .string:
            switch code {
            case "*IDN": return [Array("REC BMS \(d.units.count > 1 ? "MASTER" : "1Q")".utf8)]
            case "SWVR": return [Array("2.10".utf8)]
            case "HWVR": return [Array("1.3".utf8)]
            default: return [Array(instruction.name.utf8)]
            }
        case .range:
            return [Self.text(d.settings[code] ?? 0)]
        case .array:
            let fixedValues = fixed(code, d)
            let fixedFields = instruction.fields.filter { ($0.position ?? 0) > 0 }.sorted { $0.position! < $1.position! }
            var first: [UInt8] = []
            for (f, v) in zip(fixedFields, fixedValues) { first += f.size == 4 ? Self.float(v) : [UInt8(max(0, min(255, v)))] }
            let template = instruction.fields.first { $0.position == nil }
            let perUnit = templated(code, d)
            if instruction.fields.first?.unit == "UnitCount" {
                return [Array(String(perUnit.count).utf8)] + perUnit.map { values in values.flatMap { Self.float($0) } }
            }
            if template != nil {
                let values = perUnit.flatMap { $0 }
                return [Array(String(values.count).utf8), first + values.flatMap { Self.float($0) }]
            }
            return [Array(String(first.count).utf8), first]
        }
    }

    func fixed(_ code: String, _ d: Device) -> [Double] {
        let cells = d.allCells
        switch code {
        case "LCD1":
            let temps = d.units.flatMap(\.temps)
            return [cells.min() ?? 0, cells.max() ?? 0, d.current, temps.max() ?? 0, cells.reduce(0, +), d.soc, d.soh]
        case "LCD3":
            let lo = cells.firstIndex(of: cells.min() ?? 0) ?? 0, hi = cells.firstIndex(of: cells.max() ?? 0) ?? 0
            let per = max(1, d.units.first?.cells.count ?? 1)
            let temps = d.units.flatMap(\.temps)
            let t = temps.firstIndex(of: temps.max() ?? 0) ?? 0
            let perT = max(1, d.units.first?.temps.count ?? 1)
            let ah = Int(((1 - d.soc) * (d.settings["CAPA"] ?? 0)).rounded())
            return [Double(lo / per + 1), Double(lo % per + 1), Double(hi / per + 1), Double(hi % per + 1),
                    Double(t / perT + 1), Double(t % perT + 1), Double(ah >> 8 & 0xFF), Double(ah & 0xFF)]
        case "ERRO":
            return d.error
        default:
            return []
        }
    }

    func templated(_ code: String, _ d: Device) -> [[Double]] {
        switch code {
        case "CELL": d.units.map(\.cells)
        case "PTEM": d.units.map(\.temps)
        case "RINT": d.units.map(\.resistances)
        case "BTEM": [[d.bmsTemp]]
        default: []
        }
    }

    public func control(_ command: String) -> String {
        let words = command.split(separator: " ").map(String.init)
        guard let verb = words.first else { return "error: empty command (try 'help')" }
        if verb == "help" { return "commands: silence N | answer N | set N key=value... | error N NUMBER [UNIT CELL] | clear N | status" }
        if verb == "status" {
            return devices.keys.sorted().map { a in
                let d = devices[a]!
                return "\(a): \(d.silent ? "silent" : "answering") units=\(d.units.count) cells=\(d.allCells.count) soc=\(d.soc * 100) current=\(d.current) error=\(Int(d.error[0]) == 0 ? "none" : String(Int(d.error[2])))"
            }.joined(separator: "; ")
        }
        guard words.count >= 2, let a = DriverOptions.parseInteger(words[1]), let d = devices[UInt8(clamping: a)] else {
            return "error: '\(command)': give a served address (\(devices.keys.sorted().map(String.init).joined(separator: ",")))"
        }
        switch verb {
        case "silence": d.silent = true; return "ok: address \(a) stopped answering"
        case "answer": d.silent = false; return "ok: address \(a) answers"
        case "clear": d.error = [0, 0, 0, 0]; return "ok: address \(a) error cleared"
        case "error":
            guard words.count >= 3, let n = Int(words[2]), (1...255).contains(n) else { return "error: give an error number" }
            let unit = words.count > 3 ? Int(words[3]) ?? 1 : 1, cell = words.count > 4 ? Int(words[4]) ?? 1 : 1
            d.error = [1, Double(unit), Double(n), Double(cell)]
            return "ok: address \(a) reports error \(n): \(RECError.describe(n).text)"
        case "set":
            for pair in words.dropFirst(2) {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2, let v = Double(kv[1]) else { return "error: '\(pair)' is not key=number" }
                if let error = set(d, kv[0], v) { return "error: \(error)" }
            }
            return "ok: address \(a) updated"
        default:
            return "error: unknown command '\(verb)' (try 'help')"
        }
    }

    private func set(_ d: Device, _ key: String, _ v: Double) -> String? {
        switch key {
        case "soc": d.soc = v / 100
        case "soh": d.soh = v / 100
        case "current": d.current = v
        case "bms_temp": d.bmsTemp = v
        case "cells": d.units.forEach { $0.cells = $0.cells.map { _ in v } }
        default:
            if key.hasPrefix("cell"), let i = Int(key.dropFirst(4)), i >= 1, i <= d.allCells.count {
                let per = d.units[0].cells.count
                d.units[(i - 1) / per].cells[(i - 1) % per] = v
            } else if key.hasPrefix("temp"), let i = Int(key.dropFirst(4)), i >= 1 {
                let per = d.units[0].temps.count
                guard (i - 1) / per < d.units.count else { return "temp\(i) out of range" }
                d.units[(i - 1) / per].temps[(i - 1) % per] = v
            } else if let i = set.instruction(key.uppercased()), i.handler == .range {
                d.settings[i.code] = v
            } else {
                return "unknown key '\(key)'"
            }
        }
        return nil
    }
}
