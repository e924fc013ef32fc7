import BMSDriverKit

/// Builds JK BLE answers (what a BMS notifies) from values: the emulator's side of the
/// layouts JKBLECellInfo reads, so both are checked against each other and against captures.
public enum JKBLEAnswers {
    /// The values an answer carries.
    public struct Values: Sendable {
        public var cells: [Double]
        public var resistances: [Double] = []
        public var current = 0.0
        public var temperatures: [Double] = [25, 24]
        public var mos = 26.0
        public var soc = 76.0, soh = 100.0
        public var remaining = 212.8, nominal = 280.0
        public var cycles = 12.0, cycleCapacity = 3360.0
        public var upTime: UInt32 = 86400
        public var errors = 0
        public var charging = true, discharging = true
        /// Values of `cells` cells.
        public init(cells: [Double]) { self.cells = cells }
    }

    static func put16(_ f: inout [UInt8], _ i: Int, _ v: Int) {
        f[i] = UInt8(v & 0xFF)
        f[i + 1] = UInt8((v >> 8) & 0xFF)
    }
    static func put32(_ f: inout [UInt8], _ i: Int, _ v: Int) {
        put16(&f, i, v & 0xFFFF)
        put16(&f, i + 2, (v >> 16) & 0xFFFF)
    }
    static func putFloat(_ f: inout [UInt8], _ i: Int, _ v: Double) { put32(&f, i, Int(Float(v).bitPattern)) }
    static func text(_ f: inout [UInt8], _ at: Int, _ size: Int, _ s: String) {
        for (k, b) in s.utf8.prefix(size).enumerated() { f[at + k] = b }
    }

    static func frame(_ kind: JKBLEFrame.Kind, counter: UInt8) -> [UInt8] {
        var f = [UInt8](repeating: 0, count: JKBLEFrame.answerLength)
        f.replaceSubrange(0..<4, with: JKBLEFrame.answerHeader)
        f[4] = kind.rawValue
        f[5] = counter
        return f
    }

    static func seal(_ f: [UInt8]) -> [UInt8] {
        var out = f
        out[JKBLEFrame.answerLength - 1] = JKBLEFrame.sum8(f[..<(JKBLEFrame.answerLength - 1)])
        return out
    }

    /// A device-info answer.
    public static func deviceInfo(model: String, hardware: String, software: String, serial: String, name: String,
                                  upTime: UInt32, powerOns: UInt32, counter: UInt8 = 1) -> [UInt8] {
        var f = frame(.deviceInfo, counter: counter)
        text(&f, 6, 16, model)
        text(&f, 22, 8, hardware)
        text(&f, 30, 8, software)
        put32(&f, 38, Int(upTime))
        put32(&f, 42, Int(powerOns))
        text(&f, 46, 16, name)
        text(&f, 62, 16, "1234")
        text(&f, 78, 8, "241121")
        text(&f, 86, 11, serial)
        text(&f, 98, 3, "000")
        text(&f, 102, 16, "bmsgate")
        text(&f, 118, 16, "123456789")
        return seal(f)
    }

    /// A cell-info answer in `layout`.
    public static func cellInfo(_ v: Values, layout: JKBLELayout, counter: UInt8 = 1) -> [UInt8] {
        var f = frame(.cellInfo, counter: counter)
        if layout == .jk04 {
            for (i, c) in v.cells.prefix(24).enumerated() { putFloat(&f, 6 + 4 * i, c) }
            for (i, r) in v.resistances.prefix(24).enumerated() { putFloat(&f, 102 + 4 * i, r) }
            let avg = v.cells.isEmpty ? 0 : v.cells.reduce(0, +) / Double(v.cells.count)
            putFloat(&f, 202, avg)
            putFloat(&f, 206, (v.cells.max() ?? 0) - (v.cells.min() ?? 0))
            put32(&f, 286, Int(v.upTime))
            return seal(f)
        }
        let wide = layout == .jk02_32S
        let o1 = wide ? 16 : 0, o2 = wide ? 32 : 0
        for (i, c) in v.cells.prefix(wide ? 32 : 24).enumerated() { put16(&f, 6 + 2 * i, Int((c * 1000).rounded())) }
        put32(&f, 54 + o1, (1 << v.cells.count) - 1)
        for (i, r) in v.resistances.prefix(wide ? 32 : 24).enumerated() { put16(&f, 64 + o1 + 2 * i, Int((r * 1000).rounded())) }
        let voltage = v.cells.reduce(0, +)
        put32(&f, 118 + o2, Int((voltage * 1000).rounded()))
        put32(&f, 122 + o2, Int(abs(voltage * v.current * 1000).rounded()))
        put32(&f, 126 + o2, Int((v.current * 1000).rounded()))
        put16(&f, 130 + o2, Int((v.temperatures.first ?? 0) * 10))
        put16(&f, 132 + o2, Int((v.temperatures.count > 1 ? v.temperatures[1] : 0) * 10))
        if wide {
            put16(&f, 144, Int(v.mos * 10))
            f[166] = UInt8(v.errors >> 8)
            f[167] = UInt8(v.errors & 0xFF)
            put16(&f, 256, -2000)  // sensors 3 and 4 absent
            put16(&f, 258, -2000)
        } else {
            put16(&f, 134, Int(v.mos * 10))
            f[136] = UInt8(v.errors >> 8)
            f[137] = UInt8(v.errors & 0xFF)
        }
        f[141 + o2] = UInt8(v.soc)
        put32(&f, 142 + o2, Int((v.remaining * 1000).rounded()))
        put32(&f, 146 + o2, Int((v.nominal * 1000).rounded()))
        put32(&f, 150 + o2, Int(v.cycles))
        put32(&f, 154 + o2, Int((v.cycleCapacity * 1000).rounded()))
        f[158 + o2] = UInt8(v.soh)
        put32(&f, 162 + o2, Int(v.upTime))
        f[166 + o2] = v.charging ? 1 : 0
        f[167 + o2] = v.discharging ? 1 : 0
        return seal(f)
    }

    /// A settings answer (type 0x01): LiFePO4 protections, `cells` cells, switches on.
    public static func settings(cells: Int, counter: UInt8 = 1) -> [UInt8] {
        var f = frame(.settings, counter: counter)
        for (offset, value) in [(10, 2_600), (14, 2_800), (18, 3_650), (22, 3_500), (26, 5), (50, 100_000), (62, 150_000),
                                (82, 700), (86, 600), (98, -200), (102, -100), (130, 280_000), (138, 3_300)] {
            put32(&f, offset, value)
        }
        put32(&f, 114, cells)
        f[118] = 1
        f[122] = 1
        f[126] = 1
        return seal(f)
    }
}
