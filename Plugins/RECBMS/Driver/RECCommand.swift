import BMSDriverKit
import CBMSDriver
import Foundation

/// Vendor operations through `command` (JSON in, JSON out):
///
///     {"op": "list"}                                        settings with ranges
///     {"op": "get", "instruction": "BVOL"}                  read one instruction now
///     {"op": "set", "instruction": "BVOL", "value": 3.9, "confirm": true}
///
/// A set needs `allow_writes: true` on the pack, a writable instruction, a value within the
/// instruction's Range and `confirm: true`; it is sent as `INSTR value`, read back with
/// `INSTR?`, compared, and logged.
enum RECCommand {
    static func run(_ json: String, driver: RECDriver) throws(DriverError) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw .invalid("request is not a JSON object")
        }
        let op = object["op"] as? String ?? ""
        switch op {
        case "list":
            let items = driver.set.instructions.map { i -> [String: Any] in
                var o: [String: Any] = ["instruction": i.code, "name": i.name, "category": i.category,
                                        "read_only": i.readOnly, "handler": i.handler.rawValue]
                if let r = i.range { o["min"] = r.lowerBound; o["max"] = r.upperBound }
                return o
            }
            return encode(["ok": true, "instructions": items])
        case "get":
            let instruction = try find(object, driver)
            return encode(["ok": true, "instruction": instruction.code, "value": value(try driver.ask(instruction))])
        case "set":
            let instruction = try find(object, driver)
            guard driver.writesAllowed else { throw .forbidden("writes are off for this pack: set allow_writes: true in its config") }
            guard !instruction.readOnly, instruction.handler == .range, let range = instruction.range else {
                throw .forbidden("\(instruction.code) is read-only")
            }
            guard let v = (object["value"] as? NSNumber)?.doubleValue, v.isFinite else { throw .invalid("'value' must be a number") }
            guard range.contains(v) else {
                throw .invalid("\(instruction.code) must be within \(range.lowerBound)...\(range.upperBound), not \(v)")
            }
            guard object["confirm"] as? Bool == true else { throw .invalid("writing \(instruction.code) needs \"confirm\": true") }
            let before = try? driver.ask(instruction)
            let text = ["char", "int"].contains(instruction.valueType) ? String(Int(v.rounded())) : formatted(v)
            _ = try driver.ask(instruction, message: "\(instruction.code) \(text)")
            let after = try driver.ask(instruction)
            guard case .number(let readBack) = after, abs(readBack - v) <= max(1e-4, abs(v) * 1e-4) else {
                throw .device("\(instruction.code) reads back \(value(after)) after writing \(text)")
            }
            driver.link.log(BMS_LOG_WARNING, "REC address \(driver.address): \(instruction.code) set from \(before.map(value) ?? "?") to \(readBack)")
            return encode(["ok": true, "instruction": instruction.code, "previous": before.map(value) ?? NSNull(), "value": readBack])
        default:
            throw .invalid("unknown op '\(op)' (list, get, set)")
        }
    }

    static func find(_ object: [String: Any], _ driver: RECDriver) throws(DriverError) -> RECInstructionSet.Instruction {
        guard let code = object["instruction"] as? String, let i = driver.set.instruction(code) else {
            throw .invalid("unknown instruction '\(object["instruction"] ?? "")' (see {\"op\": \"list\"})")
        }
        return i
    }

    /// `v` as REC text: up to 6 decimals, no trailing zeros ("3.9", "280").
    static func formatted(_ v: Double) -> String {
        var s = String(format: "%.6f", v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    static func value(_ a: RECAnswer) -> Any {
        switch a {
        case .text(let t): t
        case .number(let n): n
        case .array(let arr): ["count": arr.count, "fixed": arr.fixed, "units": arr.units] as [String: Any]
        }
    }

    static func encode(_ o: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]) else { return "{\"ok\":false}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// `bmsgate decode` for REC: frames in order, requests (from address 0) naming the
/// instruction their answer frames belong to; or answers only with `instruction=CODE`.
enum RECCapture {
    /// True when `group` holds every frame of its answer.
    static func complete(_ group: (RECInstructionSet.Instruction, [RECFrame])) -> Bool {
        guard let first = group.1.first else { return false }
        return group.1.count >= ((try? RECAnswer.framesNeeded(group.0, first: first)) ?? 1)
    }

    static func decode(frames: [[UInt8]], options: DriverOptions) throws(DriverError) -> (DriverReading, DriverIdentity) {
        try options.rejectUnknown(["instructions", "instruction"])
        let set = try RECInstructionSet.load(path: options["instructions"])
        var groups: [(RECInstructionSet.Instruction, [RECFrame])] = []
        var current = options["instruction"].flatMap { set.instruction($0) }
        if let code = options["instruction"], current == nil { throw .invalid("unknown instruction '\(code)'") }
        for bytes in frames {
            let frame = try RECFrame.parse(bytes)
            if frame.source == 0 {
                let code = String(frame.text.split(separator: " ").first ?? "").replacingOccurrences(of: "?", with: "")
                guard let i = set.instruction(code) else { throw .invalid("request for unknown instruction '\(code)'") }
                current = i
                groups.append((i, []))
                continue
            }
            guard let i = current else { throw .invalid("an answer frame without its request: put the request frame first or give --option instruction=CODE") }
            if let last = groups.last, last.0.code == i.code, !complete(last) {} else { groups.append((i, [])) }
            groups[groups.count - 1].1.append(frame)
        }
        var answers: [String: RECAnswer] = [:]
        for (i, group) in groups where !group.isEmpty {
            answers[i.code] = try RECAnswer.decode(i, frames: group)
        }
        guard !answers.isEmpty else { throw .frame("no answer frames") }
        return (RECReading.build(set: set, core: answers, cache: [:]), RECReading.identity(answers))
    }
}
