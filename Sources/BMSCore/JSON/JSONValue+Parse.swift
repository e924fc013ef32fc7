import Foundation

extension JSONValue {
    /// Parses JSON text (object members in sorted key order); nil when it is not JSON.
    public static func parse(_ text: String) -> JSONValue? {
        guard let any = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else { return nil }
        return from(any)
    }

    /// A value from what JSONSerialization returns.
    static func from(_ any: Any) -> JSONValue {
        switch any {
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { return .bool(n.boolValue) }  // JSON true/false
            return .number(n.doubleValue)
        case let s as String: return .string(s)
        case let a as [Any]: return .array(a.map(from))
        case let d as [String: Any]:
            var o = JSONObject()
            for key in d.keys.sorted() { o[key] = from(d[key]!) }
            return .object(o)
        default: return .null
        }
    }
}
