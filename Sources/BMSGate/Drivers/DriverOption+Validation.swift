import Foundation

extension DriverOption {
    /// Parses an integer written in decimal or 0x-hex ("12", "012", "0x0B"); nil otherwise.
    public static func integer(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.lowercased().hasPrefix("0x") { return Int(t.dropFirst(2), radix: 16) }
        if t.lowercased().hasPrefix("-0x") { return Int(t.dropFirst(3), radix: 16).map { -$0 } }
        return Int(t)
    }

    /// Why `value` is not acceptable for this option, or nil when it is.
    public func problem(with value: String) -> String? {
        let what = key == "address" ? "address" : "option '\(key)'"
        func bounds(_ v: Double) -> String? {
            if let min, v < min { return "\(what) is \(value), below the minimum \(Self.format(min))" }
            if let max, v > max { return "\(what) is \(value), above the maximum \(Self.format(max))" }
            return nil
        }
        switch kind {
        case .string:
            return nil
        case .int:
            guard let v = Self.integer(value) else { return "\(what) must be an integer (decimal or 0x-hex), not '\(value)'" }
            return bounds(Double(v))
        case .double:
            guard let v = Double(value.trimmingCharacters(in: .whitespaces)), v.isFinite else {
                return "\(what) must be a number, not '\(value)'"
            }
            return bounds(v)
        case .bool:
            return ["true", "false"].contains(value.lowercased()) ? nil : "\(what) must be true or false, not '\(value)'"
        case .enum:
            return values.contains(value) ? nil : "\(what) must be one of \(values.joined(separator: ", ")), not '\(value)'"
        }
    }

    /// The value in the form two equal values share ("0x01" and "01" are "1" for an int).
    public func normalized(_ value: String) -> String {
        switch kind {
        case .int: return Self.integer(value).map(String.init) ?? value
        case .bool: return value.lowercased()
        default: return value
        }
    }

    /// What `bmsgate drivers` and the docs show for the option's type and range.
    public var typeText: String {
        switch kind {
        case .enum: return values.joined(separator: " | ")
        case .int, .double:
            let range = (min.map(Self.format) ?? "") + ".." + (max.map(Self.format) ?? "")
            return kind.rawValue + (min == nil && max == nil ? "" : " " + range)
        default: return kind.rawValue
        }
    }

    static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
    }
}
