/// The parts of a Reading JSON that `bmsgate read --info` and `--cells` print, as ubmsc's
/// device-info and cell-data parts.
public enum ReadingParts {
    /// Keys every part keeps.
    static let head: Set<String> = ["pack", "driver", "time", "online"]
    /// Keys that are device information.
    static let infoKeys: Set<String> = ["identity"]
    /// Keys that are not cell data.
    static let notCellKeys: Set<String> = ["identity", "extras", "stats", "status", "error"]

    /// `reading` reduced to the device information (`info`), the cell data (`cells`), or
    /// whole when neither (or both) is asked.
    public static func select(_ reading: JSONValue, info: Bool, cells: Bool) -> JSONValue {
        guard info != cells, case .object(let o) = reading else { return reading }
        var out = JSONObject()
        for (k, v) in o.pairs where head.contains(k) || (info ? infoKeys.contains(k) : !notCellKeys.contains(k)) {
            out[k] = v
        }
        return .object(out)
    }

    /// A pack id for a device name or address (letters, digits, `-`, `_`; others become `_`).
    public static func packID(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }
}
