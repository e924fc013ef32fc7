/// Key/value options a pack's YAML gives a driver (plus `address` and `allow_writes`).
public struct DriverOptions: Sendable, Equatable {
    /// The options in the order given.
    public var pairs: [(key: String, value: String)]

    /// Options from pairs.
    public init(_ pairs: [(key: String, value: String)] = []) { self.pairs = pairs }

    /// The value of `key`, or nil.
    public subscript(key: String) -> String? { pairs.last { $0.key == key }?.value }

    /// `allow_writes` as set by the host from the pack's config (false unless "true").
    public var allowWrites: Bool { self["allow_writes"] == "true" }

    /// Throws `invalid` naming the first key not in `known`.
    public func rejectUnknown(_ known: Set<String>) throws(DriverError) {
        let hostKeys: Set<String> = ["address", "allow_writes"]
        if let bad = pairs.first(where: { !known.contains($0.key) && !hostKeys.contains($0.key) }) {
            let list = known.sorted().joined(separator: ", ")
            throw .invalid("unknown option '\(bad.key)'" + (list.isEmpty ? "" : " (known: \(list))"))
        }
    }

    /// Parses an integer written in decimal or 0x-hex.
    public static func parseInteger(_ text: String) -> Int? {
        let t = text.trimmingCharactersInSpace()
        if t.hasPrefix("0x") || t.hasPrefix("0X") { return Int(t.dropFirst(2), radix: 16) }
        return Int(t)
    }

    public static func == (a: DriverOptions, b: DriverOptions) -> Bool {
        a.pairs.map(\.key) == b.pairs.map(\.key) && a.pairs.map(\.value) == b.pairs.map(\.value)
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs (no Foundation needed).
    public func trimmingCharactersInSpace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
