/// Big-endian INFO building and reading.
public struct PylonWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public mutating func u8(_ v: Int) { bytes.append(UInt8(clamping: v)) }
    public mutating func u16(_ v: Int) {
        let c = UInt16(clamping: v)
        bytes += [UInt8(c >> 8), UInt8(c & 0xFF)]
    }
    public mutating func s16(_ v: Int) {
        let c = UInt16(bitPattern: Int16(clamping: v))
        bytes += [UInt8(c >> 8), UInt8(c & 0xFF)]
    }
    public mutating func u24(_ v: Int) {
        let c = UInt32(clamping: max(0, min(v, 0xFF_FFFF)))
        bytes += [UInt8(c >> 16 & 0xFF), UInt8(c >> 8 & 0xFF), UInt8(c & 0xFF)]
    }
    public mutating func ascii(_ text: String, length: Int, pad: UInt8 = 0x20) {
        let chars = text.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? UInt8($0.value) : 0x3F }
        bytes += Array((chars + Array(repeating: pad, count: length)).prefix(length))
    }
}

/// Reads INFO fields in order; each read throws `.invalidData` past the end.
public struct PylonReader: Sendable {
    let bytes: [UInt8]
    public private(set) var offset = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var remaining: Int { bytes.count - offset }
    public mutating func u8() throws(PylonError) -> Int {
        guard remaining >= 1 else { throw .invalidData("INFO ends at byte \(offset)") }
        defer { offset += 1 }
        return Int(bytes[offset])
    }
    public mutating func u16() throws(PylonError) -> Int { try u8() << 8 | u8() }
    public mutating func s16() throws(PylonError) -> Int { Int(Int16(bitPattern: UInt16(try u16()))) }
    public mutating func u24() throws(PylonError) -> Int { try u8() << 16 | u8() << 8 | u8() }
    public mutating func ascii(_ length: Int) throws(PylonError) -> String {
        guard remaining >= length else { throw .invalidData("INFO ends inside a text field") }
        defer { offset += length }
        return String(decoding: bytes[offset..<(offset + length)].prefix { $0 != 0 }, as: UTF8.self).trimmingTrailingSpaces
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// Temperatures travel as 0.1 K with 273.1 K as 0 °C (°C × 10 + 2731).
enum PylonTemperature {
    static func encode(_ celsius: Double) -> Int { Int((celsius * 10).rounded()) + 2731 }
    static func decode(_ raw: Int) -> Double { Double(raw - 2731) / 10 }
}

/// One module's analog values (0x42 answer block).
public struct PylonModuleValues: Sendable, Equatable {
    /// Cell voltages, V.
    public var cells: [Double]
    /// Temperatures, °C: the first is the BMS board's, then the cell groups'.
    public var temperatures: [Double]
    /// A, positive = charging.
    public var current: Double
    /// V.
    public var voltage: Double
    /// Ah.
    public var remainingCapacity: Double
    public var totalCapacity: Double
    public var cycles: Int

    public init(cells: [Double], temperatures: [Double], current: Double, voltage: Double, remainingCapacity: Double,
                totalCapacity: Double, cycles: Int) {
        self.cells = cells
        self.temperatures = temperatures
        self.current = current
        self.voltage = voltage
        self.remainingCapacity = remainingCapacity
        self.totalCapacity = totalCapacity
        self.cycles = cycles
    }

    /// Cells (mV), temperatures (0.1 K), current (0.1 A; python-pylontech and the
    /// batteries' own tools read it so), voltage (mV), remaining capacity (mAh), user-defined
    /// item count, total capacity (mAh), cycles; with capacities above 65.535 Ah the item
    /// count is 4, the 2-byte capacities are 0xFFFF and 3-byte capacities follow.
    public func write(to w: inout PylonWriter) {
        w.u8(cells.count)
        for c in cells { w.s16(Int((c * 1000).rounded())) }
        w.u8(temperatures.count)
        for t in temperatures { w.s16(PylonTemperature.encode(t)) }
        w.s16(Int((current * 10).rounded()))
        w.u16(Int((voltage * 1000).rounded()))
        let remaining = Int((remainingCapacity * 1000).rounded()), total = Int((totalCapacity * 1000).rounded())
        let big = remaining > 0xFFFF || total > 0xFFFF
        w.u16(big ? 0xFFFF : remaining)
        w.u8(big ? 4 : 2)
        w.u16(big ? 0xFFFF : total)
        w.u16(cycles)
        if big {
            w.u24(remaining)
            w.u24(total)
        }
    }

    public static func read(_ r: inout PylonReader) throws(PylonError) -> PylonModuleValues {
        let cellCount = try r.u8()
        var cells: [Double] = []
        for _ in 0..<cellCount { cells.append(Double(try r.s16()) / 1000) }
        let tempCount = try r.u8()
        var temps: [Double] = []
        for _ in 0..<tempCount { temps.append(PylonTemperature.decode(try r.s16())) }
        let current = Double(try r.s16()) / 10
        let voltage = Double(try r.u16()) / 1000
        var remaining = Double(try r.u16()) / 1000
        let items = try r.u8()
        var total = Double(try r.u16()) / 1000
        let cycles = try r.u16()
        if items > 2 {
            remaining = Double(try r.u24()) / 1000
            total = Double(try r.u24()) / 1000
        }
        return PylonModuleValues(cells: cells, temperatures: temps, current: current, voltage: voltage, remainingCapacity: remaining,
                                 totalCapacity: total, cycles: cycles)
    }
}

/// 0x92: charge and discharge management.
public struct PylonManagement: Sendable, Equatable {
    /// V.
    public var chargeVoltage: Double
    public var dischargeVoltage: Double
    /// A (the charge limit positive; real batteries send the discharge limit negative, and
    /// bmsgate reads either sign as a magnitude).
    public var chargeCurrent: Double
    public var dischargeCurrent: Double
    public var chargeEnabled: Bool
    public var dischargeEnabled: Bool
    /// Bits 5/4 (charge immediately), 3 (full charge request).
    public var chargeImmediately1 = false
    public var chargeImmediately2 = false
    public var fullChargeRequest = false

    public init(chargeVoltage: Double, dischargeVoltage: Double, chargeCurrent: Double, dischargeCurrent: Double,
                chargeEnabled: Bool, dischargeEnabled: Bool) {
        self.chargeVoltage = chargeVoltage
        self.dischargeVoltage = dischargeVoltage
        self.chargeCurrent = chargeCurrent
        self.dischargeCurrent = dischargeCurrent
        self.chargeEnabled = chargeEnabled
        self.dischargeEnabled = dischargeEnabled
    }

    public var status: UInt8 {
        (chargeEnabled ? 0x80 : 0) | (dischargeEnabled ? 0x40 : 0) | (chargeImmediately1 ? 0x20 : 0) | (chargeImmediately2 ? 0x10 : 0)
            | (fullChargeRequest ? 0x08 : 0)
    }

    /// Command value (the module address), CVL mV, DVL mV, CCL 0.1 A, DCL 0.1 A, status.
    public func info(commandValue: UInt8) -> [UInt8] {
        var w = PylonWriter()
        w.u8(Int(commandValue))
        w.u16(Int((chargeVoltage * 1000).rounded()))
        w.u16(Int((dischargeVoltage * 1000).rounded()))
        w.s16(Int((chargeCurrent * 10).rounded()))
        w.s16(Int((dischargeCurrent * 10).rounded()))
        w.u8(Int(status))
        return w.bytes
    }

    public static func decode(_ info: [UInt8]) throws(PylonError) -> PylonManagement {
        var r = PylonReader(info)
        _ = try r.u8()
        let cvl = Double(try r.u16()) / 1000, dvl = Double(try r.u16()) / 1000
        let ccl = Double(try r.s16()) / 10, dcl = Double(try r.s16()) / 10
        let s = UInt8(try r.u8())
        var m = PylonManagement(chargeVoltage: cvl, dischargeVoltage: dvl, chargeCurrent: abs(ccl), dischargeCurrent: abs(dcl),
                                chargeEnabled: s & 0x80 != 0, dischargeEnabled: s & 0x40 != 0)
        m.chargeImmediately1 = s & 0x20 != 0
        m.chargeImmediately2 = s & 0x10 != 0
        m.fullChargeRequest = s & 0x08 != 0
        return m
    }
}
