import Foundation

/// A Bluetooth UUID, kept as its 128-bit form so "ffe1", "0xFFE1" and
/// "0000ffe1-0000-1000-8000-00805f9b34fb" compare equal.
public struct BLEUUID: Sendable, Hashable, CustomStringConvertible {
    /// The 16 bytes, most significant first (as written).
    public let bytes: [UInt8]

    /// The Bluetooth base UUID 00000000-0000-1000-8000-00805F9B34FB.
    static let base: [UInt8] = [0, 0, 0, 0, 0, 0, 0x10, 0x00, 0x80, 0x00, 0x00, 0x80, 0x5F, 0x9B, 0x34, 0xFB]

    /// A 16-bit UUID on the base.
    public init(short: UInt16) {
        var b = Self.base
        b[2] = UInt8(short >> 8)
        b[3] = UInt8(short & 0xFF)
        bytes = b
    }

    /// Parses "ffe1", "0xffe1", "0000ffe1" or the dashed 128-bit form.
    public init?(_ text: String) {
        var t = text.lowercased()
        if t.hasPrefix("0x") { t.removeFirst(2) }
        t = t.replacingOccurrences(of: "-", with: "")
        guard [4, 8, 32].contains(t.count), t.allSatisfy(\.isHexDigit) else { return nil }
        let raw = stride(from: 0, to: t.count, by: 2).map { i -> UInt8 in
            let s = t.index(t.startIndex, offsetBy: i)
            return UInt8(t[s..<t.index(s, offsetBy: 2)], radix: 16)!
        }
        if raw.count == 16 {
            bytes = raw
        } else {
            var b = Self.base
            b.replaceSubrange((4 - raw.count)..<4, with: raw)
            bytes = b
        }
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// From ATT's little-endian 2- or 16-byte form.
    init?(le: ArraySlice<UInt8>) {
        switch le.count {
        case 2: self.init(short: UInt16(le[le.startIndex]) | UInt16(le[le.startIndex + 1]) << 8)
        case 16: self.init(bytes: le.reversed())
        default: return nil
        }
    }

    /// ATT's little-endian form: 2 bytes when on the base, else 16.
    var le: [UInt8] {
        if let s = short { return [UInt8(s & 0xFF), UInt8(s >> 8)] }
        return bytes.reversed()
    }

    /// The 16-bit value when this UUID is on the base.
    public var short: UInt16? {
        guard bytes[0] == 0, bytes[1] == 0, Array(bytes[4...]) == Array(Self.base[4...]) else { return nil }
        return UInt16(bytes[2]) << 8 | UInt16(bytes[3])
    }

    public var description: String {
        if let s = short { return String(s, radix: 16) }
        let hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { r in
            String(hex[hex.index(hex.startIndex, offsetBy: r.lowerBound)..<hex.index(hex.startIndex, offsetBy: r.upperBound)])
        }
        return parts.joined(separator: "-")
    }

    public static let primaryService = BLEUUID(short: 0x2800)
    public static let characteristic = BLEUUID(short: 0x2803)
    public static let clientConfiguration = BLEUUID(short: 0x2902)
}
