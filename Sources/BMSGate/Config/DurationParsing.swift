/// Parses durations written as `1s`, `500ms`, `2m`, `1h`, `1.5s`, a bare number of seconds,
/// or `D:H:M:S` as in the REC instruction set's MQTT `Frequency` ("0:0:0:30" = 30 s).
public enum DurationParsing {
    /// The longest duration a site file may give (a year); longer ones are config errors,
    /// never a trap later in arithmetic on them.
    public static let maximumSeconds: Double = 365 * 86400
    /// The largest size a site file may give (1 TB).
    public static let maximumSize: Double = Double(1 << 40)

    /// The duration, or nil when the text is not one (or is longer than `maximumSeconds`).
    public static func parse(_ text: String) -> Duration? {
        seconds(text).flatMap { $0 <= maximumSeconds ? .microseconds(Int64(($0 * 1_000_000).rounded())) : nil }
    }

    /// True when `text` is a duration, but longer than `maximumSeconds`.
    public static func isTooLong(_ text: String) -> Bool { seconds(text).map { $0 > maximumSeconds } ?? false }

    /// The duration in seconds, unbounded.
    static func seconds(_ text: String) -> Double? {
        if text.contains(":") { return clock(text) }
        let units: [(String, Double)] = [("ms", 0.001), ("us", 0.000001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let v = Double(text.dropLast(suffix.count)), v >= 0, v.isFinite, (v * scale).isFinite else { return nil }
            return v * scale
        }
        guard let v = Double(text), v >= 0, v.isFinite else { return nil }
        return v
    }

    /// `D:H:M:S`, `H:M:S` or `M:S` (the last part may have decimals), in seconds.
    static func clock(_ text: String) -> Double? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Double($0) }
        guard (2...4).contains(parts.count), parts.allSatisfy({ $0 != nil && $0! >= 0 && $0!.isFinite }) else { return nil }
        let scales: [Double] = [1, 60, 3600, 86400]
        let seconds = zip(parts.reversed(), scales).reduce(0.0) { $0 + $1.0! * $1.1 }
        return seconds.isFinite ? seconds : nil
    }

    /// Parses sizes written as `10MB`, `512KB`, `1GB` or bytes.
    public static func size(_ text: String) -> Int? {
        let units: [(String, Int)] = [("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("B", 1)]
        for (suffix, scale) in units where text.uppercased().hasSuffix(suffix) {
            guard let v = Double(text.dropLast(suffix.count)), v > 0, v * Double(scale) <= maximumSize else { return nil }
            return Int(v * Double(scale))
        }
        return Int(text).flatMap { $0 > 0 && Double($0) <= maximumSize ? $0 : nil }
    }
}

extension Duration {
    /// The duration in (fractional) seconds.
    public var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
    /// The duration in whole milliseconds (rounded).
    public var milliseconds: Int64 { Int64((seconds * 1000).rounded()) }
}
