/// One classic CAN frame: an 11-bit (or 29-bit extended) identifier and up to 8 data bytes.
public struct CANFrame: Sendable, Equatable, CustomStringConvertible {
    /// The identifier (11 bits unless `extended`).
    public var id: UInt32
    /// A 29-bit identifier.
    public var extended: Bool
    /// 0 to 8 bytes.
    public var data: [UInt8]

    /// A frame; `data` must hold at most 8 bytes.
    public init(id: UInt32, data: [UInt8], extended: Bool = false) {
        precondition(data.count <= 8, "a classic CAN frame carries at most 8 bytes")
        self.id = id
        self.data = data
        self.extended = extended
    }

    /// candump's compact form, e.g. `351#1402740E740ECC01`.
    public var description: String {
        let idText = String(id, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: max(0, (extended ? 8 : 3) - idText.count)) + idText
        return padded + "#" + data.map { byte in
            let h = String(byte, radix: 16, uppercase: true)
            return h.count == 1 ? "0" + h : h
        }.joined()
    }
}

/// Little-endian field writing for CAN payloads, with the value range of each field: a value
/// outside it is clamped and reported, never wrapped.
struct CANPayload {
    private(set) var bytes: [UInt8] = []
    /// Fields that had to be clamped ("0x351 charge voltage 70.0 V → 63.0 V").
    private(set) var clamped: [String] = []
    let frameId: UInt32

    init(_ frameId: UInt32) { self.frameId = frameId }

    /// `value / scale` rounded, as an unsigned 16-bit field limited to `range` (in the
    /// value's own unit); nil writes `missing`.
    mutating func u16(_ value: Double?, scale: Double, range: ClosedRange<Double>? = nil, missing: UInt16 = 0,
                      _ what: String, unit: String = "") {
        guard let value, value.isFinite else { return raw16(missing) }
        let full = 0...(65535 * scale)
        let limit = range.map { ClosedRange(uncheckedBounds: (max($0.lowerBound, 0), min($0.upperBound, full.upperBound))) } ?? full
        raw16(UInt16(min(65535, max(0, (clamp(value, limit, what, unit) / scale).rounded()))))
    }

    /// `value / scale` rounded, as a signed 16-bit field limited to `range`.
    mutating func s16(_ value: Double?, scale: Double, range: ClosedRange<Double>? = nil, missing: Int16 = 0, _ what: String, unit: String = "") {
        guard let value, value.isFinite else { return raw16(UInt16(bitPattern: missing)) }
        let full = (-32768 * scale)...(32767 * scale)
        let limit = range.map { ClosedRange(uncheckedBounds: (max($0.lowerBound, full.lowerBound), min($0.upperBound, full.upperBound))) } ?? full
        let scaled = (clamp(value, limit, what, unit) / scale).rounded()
        raw16(UInt16(bitPattern: Int16(max(-32768, min(32767, scaled)))))
    }

    /// One byte.
    mutating func u8(_ value: UInt8) { bytes.append(value) }

    /// A raw little-endian 16-bit word.
    mutating func raw16(_ value: UInt16) {
        bytes.append(UInt8(value & 0xFF))
        bytes.append(UInt8(value >> 8))
    }

    /// `text` as ASCII, space-padded or cut to `length` bytes.
    mutating func ascii(_ text: String, length: Int) {
        let chars = text.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? UInt8($0.value) : UInt8(0x3F) }
        bytes += Array((chars + Array(repeating: 0x20, count: length)).prefix(length))
    }

    private mutating func clamp(_ value: Double, _ range: ClosedRange<Double>, _ what: String, _ unit: String) -> Double {
        guard !range.contains(value) else { return value }
        let to = min(max(value, range.lowerBound), range.upperBound)
        clamped.append("0x\(String(frameId, radix: 16, uppercase: true)) \(what) \(format(value))\(unit) → \(format(to))\(unit)")
        return to
    }

    private func format(_ v: Double) -> String { String(format: "%.1f", v) }

    /// 0x356, the same in every profile: voltage S16 0.01 V, current S16 0.1 A (+ charging),
    /// temperature S16 0.1 °C.
    static func measurements(_ state: CANBatteryState) -> CANPayload {
        var p = CANPayload(0x356)
        p.s16(state.voltage, scale: 0.01, "voltage", unit: " V")
        p.s16(state.current, scale: 0.1, "current", unit: " A")
        p.s16(state.temperature, scale: 0.1, "temperature", unit: " °C")
        return p
    }

    /// 0x35E: the manufacturer name, 8 ASCII characters.
    static func manufacturer(_ name: String) -> CANPayload {
        var p = CANPayload(0x35E)
        p.ascii(name, length: 8)
        return p
    }

    /// The frame (padded with zeros to `padTo` bytes when given).
    func frame(padTo: Int? = nil) -> CANFrame {
        var data = bytes
        if let padTo, data.count < padTo { data += Array(repeating: 0, count: padTo - data.count) }
        return CANFrame(id: frameId, data: data)
    }
}
