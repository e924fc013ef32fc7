/// How a value sits in Modbus registers, and what "not implemented" looks like
/// (the SunSpec conventions, also used by the simple map).
public enum RegisterType: Sendable, Equatable {
    case uint16, int16, uint32, int32, enum16, bitfield16, bitfield32, sunssf, pad
    /// Text of `registers` x 2 bytes, NUL-padded.
    case string(registers: Int)

    /// Registers taken.
    public var size: Int {
        switch self {
        case .uint32, .int32, .bitfield32: 2
        case .string(let n): n
        default: 1
        }
    }

    /// The SunSpec name of the type.
    public var name: String {
        switch self {
        case .uint16: "uint16"
        case .int16: "int16"
        case .uint32: "uint32"
        case .int32: "int32"
        case .enum16: "enum16"
        case .bitfield16: "bitfield16"
        case .bitfield32: "bitfield32"
        case .sunssf: "sunssf"
        case .pad: "pad"
        case .string: "string"
        }
    }

    /// The "not implemented" registers.
    public var unimplemented: [UInt16] {
        switch self {
        case .uint16, .enum16, .bitfield16: [0xFFFF]
        case .int16, .sunssf, .pad: [0x8000]
        case .uint32, .bitfield32: [0xFFFF, 0xFFFF]
        case .int32: [0x8000, 0x0000]
        case .string(let n): Array(repeating: 0, count: n)
        }
    }

    /// The integer range a value of this type can hold without meaning "not implemented".
    public var range: ClosedRange<Double> {
        switch self {
        case .uint16, .enum16, .bitfield16: 0...65534
        case .int16, .sunssf, .pad: -32767...32767
        case .uint32, .bitfield32: 0...4_294_967_294
        case .int32: -2_147_483_647...2_147_483_647
        case .string: 0...0
        }
    }

    /// `value` (already an integer in range) as registers, high word first.
    public func encode(_ value: Int64) -> [UInt16] {
        switch self {
        case .uint32, .int32, .bitfield32:
            let bits = UInt32(truncatingIfNeeded: value)
            return [UInt16(bits >> 16), UInt16(bits & 0xFFFF)]
        case .string(let n):
            return Array(repeating: 0, count: n)
        default:
            return [UInt16(truncatingIfNeeded: value)]
        }
    }

    /// `text` as registers: UTF-8 bytes, two per register, big-endian, NUL-padded, cut to fit.
    public static func encodeString(_ text: String, registers: Int) -> [UInt16] {
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII (names, ids, versions): every byte is a character.
            var out = Array(repeating: UInt16(0), count: registers)
            for (i, b) in text.utf8.prefix(registers * 2).enumerated() {
                out[i / 2] |= i % 2 == 0 ? UInt16(b) << 8 : UInt16(b)
            }
            return out
        }
        var bytes: [UInt8] = []
        for character in text {
            let encoded = Array(String(character).utf8)
            if bytes.count + encoded.count > registers * 2 { break }  // never cut a character in half
            bytes += encoded
        }
        bytes += Array(repeating: 0, count: registers * 2 - bytes.count)
        return (0..<registers).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
    }
}

/// Picks the scale factor (power of ten) for a group of values that share one: the finest
/// from `preferred` up to `coarsest` at which every value fits the type.
public enum ScaleFactor {
    /// The chosen exponent (NaN and nil values take no part).
    public static func choose<Values: Sequence>(_ values: Values, type: RegisterType, preferred: Int, coarsest: Int) -> Int
    where Values.Element == Double? {
        candidates: for sf in preferred...max(preferred, coarsest) {
            for value in values {
                guard let value, value.isFinite else { continue }
                if !type.range.contains(scaled(value, sf)) { continue candidates }
            }
            return sf
        }
        return coarsest
    }

    /// `value` / 10^sf rounded to an integer.
    public static func scaled(_ value: Double, _ sf: Int) -> Double {
        var v = value
        if sf < 0 { for _ in 0..<(-sf) { v *= 10 } } else { for _ in 0..<sf { v /= 10 } }
        return v.rounded()
    }

    /// Writes `value` at scale factor `sf` into `out` from `offset` (no allocation): the same
    /// registers `encode` returns, for the 16- and 32-bit types.
    public static func write(_ value: Double?, _ sf: Int, type: RegisterType, into out: inout [UInt16], at offset: Int) {
        var raw: Double = .nan
        if let value, value.isFinite {
            raw = scaled(value, sf)
            if !type.range.contains(raw) { raw = .nan }
        }
        switch type {
        case .uint32, .int32, .bitfield32:
            if raw.isNaN {
                out[offset] = type == .int32 ? 0x8000 : 0xFFFF
                out[offset + 1] = type == .int32 ? 0 : 0xFFFF
            } else {
                let bits = UInt32(truncatingIfNeeded: Int64(raw))
                out[offset] = UInt16(bits >> 16)
                out[offset + 1] = UInt16(bits & 0xFFFF)
            }
        case .string:
            let regs = encode(value, sf, type: type)
            out.replaceSubrange(offset..<(offset + regs.count), with: regs)
        default:
            if raw.isNaN {
                out[offset] = (type == .int16 || type == .sunssf || type == .pad) ? 0x8000 : 0xFFFF
            } else {
                out[offset] = UInt16(truncatingIfNeeded: Int64(raw))
            }
        }
    }

    /// `value` as registers at scale factor `sf`; nil, NaN or out of range: not implemented.
    public static func encode(_ value: Double?, _ sf: Int, type: RegisterType) -> [UInt16] {
        guard let value, value.isFinite else { return type.unimplemented }
        let raw = scaled(value, sf)
        guard type.range.contains(raw) else { return type.unimplemented }
        return type.encode(Int64(raw))
    }
}
