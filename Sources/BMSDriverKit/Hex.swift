/// Hex helpers for frames in logs, tests and `bmsgate decode`.
public enum Hex {
    /// Parses hex text such as "7e 01 01 00 fe 0d", "7E0101", "0x7e,0x01". Nil on a bad digit or odd count.
    public static func parse(_ text: String) -> [UInt8]? {
        var digits: [UInt8] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            if rest.hasPrefix("0x") || rest.hasPrefix("0X") { rest = rest.dropFirst(2); continue }
            let c = rest.first!
            rest = rest.dropFirst()
            if c == " " || c == "," || c == ":" || c == "\n" || c == "\t" || c == "-" { continue }
            guard let v = c.hexDigitValue else { return nil }
            digits.append(UInt8(v))
        }
        guard digits.count % 2 == 0 else { return nil }
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    /// Formats bytes as lower-case hex separated by `separator`.
    public static func format(_ bytes: some Sequence<UInt8>, separator: String = " ", uppercase: Bool = false) -> String {
        let digits: StaticString = uppercase ? "0123456789ABCDEF" : "0123456789abcdef"
        let between = Array(separator.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * (2 + between.count))
        digits.withUTF8Buffer { hex in
            for byte in bytes {
                if !out.isEmpty { out.append(contentsOf: between) }
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
