import BMSDriverKit
import CBMSDriver
import Foundation

/// Vendor operations of the NW protocol, as JSON:
///
///     {"op": "list"}                                   every identifier, access, unit, range
///     {"op": "get", "register": "cell_overvoltage_protection"}   (or "0x90"): read one
///     {"op": "set", "register": "0x90", "value": 3.65, "confirm": true}
///
/// A write needs `allow_writes: true` on the pack, a writable identifier, a value within
/// the table's range and `confirm: true`; RW identifiers are read back and compared, and
/// every write is logged.
enum JKNWCommand {
    static func run(_ json: String, driver: JKDriver) throws(DriverError) -> String {
        guard let request = JKJSON.object(json) else { throw .invalid("the command must be a JSON object") }
        switch request["op"] as? String {
        case "list":
            let items = JKNWRegister.all.map { r -> String in
                let access = r.access == .read ? "R" : (r.access == .write ? "W" : "RW")
                let range = r.range.map { ",\"min\":\(JKJSON.number($0.lowerBound)),\"max\":\(JKJSON.number($0.upperBound))" } ?? ""
                return "{\"register\":\"\(r.name)\",\"code\":\"0x\(Hex.format([r.code]))\",\"access\":\"\(access)\",\"unit\":\(JKJSON.quote(r.unit))\(range)}"
            }
            return "{\"ok\":true,\"registers\":[\(items.joined(separator: ","))]}"
        case "get":
            let reg = try register(request)
            guard reg.access != .write else { throw .invalid("\(reg.name) is write-only") }
            guard !reg.secret else { throw .forbidden("\(reg.name) is not shown") }
            return "{\"ok\":true,\"register\":\"\(reg.name)\",\"value\":\(try read(reg, driver: driver))}"
        case "set":
            let reg = try register(request)
            guard driver.allowWrites else { throw .forbidden("writes are off for this pack: set allow_writes: true in its config") }
            guard reg.access != .read else { throw .forbidden("\(reg.name) is read-only") }
            let value: JKNWValue
            if let n = JKJSON.double(request["value"]) {
                if let range = reg.range, !range.contains(n) {
                    throw .invalid("\(reg.name) must be within \(JKJSON.number(range.lowerBound))...\(JKJSON.number(range.upperBound)) \(reg.unit), not \(JKJSON.number(n))")
                }
                value = .number(n)
            } else if let t = request["value"] as? String, reg.kind == .text {
                value = .text(t)
            } else {
                throw .invalid("give \"value\" for \(reg.name)")
            }
            guard request["confirm"] as? Bool == true else { throw .invalid("writing \(reg.name) needs \"confirm\": true") }
            guard let bytes = reg.encode(value) else { throw .invalid("\(reg.name) cannot take that value") }
            // A secret (the parameter password) is never read out, echoed or logged.
            let before = reg.access == .readWrite && !reg.secret ? try? read(reg, driver: driver) : nil
            try driver.pair()
            let answer: JKNWFrame
            do {
                answer = try driver.exchange(.write, [reg.code] + bytes)
            } catch where error.status == BMS_ERR_TIMEOUT.rawValue {
                throw .device("the BMS did not acknowledge the write of \(reg.name)\(driver.pairCode == nil ? " (a JK BMS may refuse writes without its pair code: set the pack's pair_code option)" : "")")
            }
            guard answer.information.first == reg.code else {
                throw .device("the BMS acknowledged 0x\(Hex.format(Array(answer.information.prefix(1)))), not 0x\(Hex.format([reg.code]))")
            }
            var after = reg.secret ? "\"****\"" : JKJSON.render(value)
            if reg.access == .readWrite {
                let readBack = try read(reg, driver: driver)
                guard readBack == JKJSON.render(reg.value(bytes[...])) else {
                    if reg.secret { throw .device("\(reg.name) does not read back as written") }
                    throw .device("\(reg.name) reads back \(readBack) after writing \(JKJSON.render(value))")
                }
                if !reg.secret { after = readBack }
            }
            driver.link.log(BMS_LOG_WARNING, "JK terminal \(driver.terminal): \(reg.name) set from \(reg.secret ? "****" : before ?? "?") to \(reg.secret ? "****" : after)")
            return "{\"ok\":true,\"register\":\"\(reg.name)\",\"previous\":\(reg.secret ? "\"****\"" : before ?? "null"),\"value\":\(after)}"
        default:
            throw .invalid("unknown op: use list, get or set")
        }
    }

    static func register(_ request: [String: Any]) throws(DriverError) -> JKNWRegister {
        guard let name = request["register"] as? String else { throw .invalid("give \"register\" (a name from list, or 0x..)") }
        guard let reg = JKNWRegister.named(name) else { throw .invalid("unknown register '\(name)' (see {\"op\":\"list\"})") }
        return reg
    }

    /// Reads one identifier; the value as JSON.
    static func read(_ reg: JKNWRegister, driver: JKDriver) throws(DriverError) -> String {
        let answer = try driver.exchange(.read, [reg.code])
        let data = try JKNWData.parse(answer.information)
        if reg.kind == .cells {
            guard !data.cells.isEmpty else { throw .device("the BMS answered 0x79 without cells") }
            return "[" + data.cells.map { JKJSON.number($0.volts) }.joined(separator: ",") + "]"
        }
        guard let bytes = data.bytes(reg.code) else { throw .device("the BMS answered without 0x\(Hex.format([reg.code]))") }
        return JKJSON.render(reg.value(bytes[...]))
    }
}

/// The little JSON the command answers need (requests are parsed by Foundation).
enum JKJSON {
    static func object(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    /// A JSON number as Double (integers and decimals alike).
    static func double(_ any: Any?) -> Double? {
        if let d = any as? Double { return d }
        if let i = any as? Int { return Double(i) }
        return nil
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)"
    }

    /// A JSON string literal (BMSDriverKit's quoting, shared with the command errors).
    static func quote(_ s: String) -> String { jsonQuoted(s) }

    static func render(_ value: JKNWValue) -> String {
        switch value {
        case .number(let n): number(n)
        case .text(let t): quote(t)
        }
    }
}
