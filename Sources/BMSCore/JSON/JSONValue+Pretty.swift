extension JSONValue {
    /// Indented JSON text (two spaces per level, `"key": value`), keys in their order;
    /// arrays of plain values stay on one line, so a pack's cells read as one row.
    public func renderPretty() -> String {
        var out = ""
        writePretty(to: &out, indent: 0)
        return out
    }

    private func writePretty(to out: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent + 2), close = String(repeating: " ", count: indent)
        switch self {
        case .array(let items) where items.contains(where: \.isContainer):
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                item.writePretty(to: &out, indent: indent + 2)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += close + "]"
        case .object(let o) where !o.pairs.isEmpty:
            out += "{\n"
            for (i, (k, v)) in o.pairs.enumerated() {
                out += pad
                Self.quote(k, into: &out)
                out += ": "
                v.writePretty(to: &out, indent: indent + 2)
                out += i + 1 < o.pairs.count ? ",\n" : "\n"
            }
            out += close + "}"
        default:
            write(to: &out)
        }
    }

    private var isContainer: Bool {
        switch self {
        case .array, .object: true
        default: false
        }
    }
}
