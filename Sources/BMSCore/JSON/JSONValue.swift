/// A JSON value with ordered objects and shortest round-trip numbers (3.396, not
/// 3.3959999999999999), so output is stable and readable.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// Compact JSON text.
    public func render() -> String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += Self.numberText(n)
        case .string(let s): Self.quote(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, (k, v)) in o.pairs.enumerated() {
                if i > 0 { out += "," }
                Self.quote(k, into: &out)
                out += ":"
                v.write(to: &out)
            }
            out += "}"
        }
    }

    /// A JSON number; non-finite values become null (JSON has no NaN).
    public static func numberText(_ n: Double) -> String {
        guard n.isFinite else { return "null" }
        if n == n.rounded(), abs(n) < 1e15 { return String(Int64(n)) }
        return "\(n)"
    }

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        // Most keys and values need no escaping: append them whole.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

/// An insertion-ordered JSON object; assigning nil removes nothing and adds nothing.
public struct JSONObject: Sendable, Equatable {
    public private(set) var pairs: [(String, JSONValue)] = []
    /// An empty object.
    public init() {}

    public subscript(key: String) -> JSONValue? {
        get { pairs.first { $0.0 == key }?.1 }
        set {
            guard let newValue else { return }
            if let i = pairs.firstIndex(where: { $0.0 == key }) { pairs[i].1 = newValue } else { pairs.append((key, newValue)) }
        }
    }

    /// Adds `key` at the end without looking for it first (nil adds nothing): for builders
    /// whose keys are known to be distinct, which then cost O(keys), not O(keys²).
    public mutating func append(_ key: String, _ value: JSONValue?) {
        if let value { pairs.append((key, value)) }
    }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.pairs.map(\.0) == b.pairs.map(\.0) && a.pairs.map(\.1) == b.pairs.map(\.1)
    }
}
