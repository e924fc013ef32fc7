import BMSDriverKit

/// The cell-info answer (type 0x02) as a Reading, for each firmware generation. Values are
/// little-endian. Offsets are those of JK02_24S; JK02_32S has 32 cells, so everything
/// after the cell voltages sits 16 bytes later and everything after the resistances 32.
public enum JKBLECellInfo {
    /// Error bits (bytes 134-135 on JK02_32S after the shift, 136-137 on JK02_24S;
    /// big-endian, bit 0 = low bit of the second byte).
    static let errors: [(bit: Int, text: String, alarms: Alarms)] = [
        (0, "charge over-temperature", .chargeOvertemperature),
        (1, "charge under-temperature", .chargeUndertemperature),
        (2, "coprocessor communication error", .internalFault),
        (3, "cell under-voltage", .cellUndervoltage),
        (4, "pack under-voltage", .packUndervoltage),
        (5, "discharge over-current", .dischargeOvercurrent),
        (6, "discharge short circuit", .shortCircuit),
        (7, "discharge over-temperature", .dischargeOvertemperature),
        (8, "balance wire resistance", .sensorFault),
        (9, "MOSFET over-temperature", .mosOvertemperature),
        (10, "cell count differs from the settings", .internalFault),
        (11, "current sensor anomaly", .sensorFault),
        (12, "cell over-voltage", .cellOvervoltage),
        (13, "pack over-voltage", .packOvervoltage),
        (14, "charge over-current", .chargeOvercurrent),
        (15, "charge short circuit", .shortCircuit),
    ]

    /// Decodes a checked 300-byte answer of type 0x02 with `layout`. Throws when the values
    /// are implausible for that layout (a wrong generation must not pass as truth).
    public static func decode(_ f: [UInt8], layout: JKBLELayout) throws(DriverError) -> DriverReading {
        guard try JKBLEFrame.check(f) == .cellInfo else { throw .frame("not a JK BLE cell-info answer (type 0x\(Hex.format([f[4]])))") }
        let r = layout == .jk04 ? jk04(f) : jk02(f, wide: layout == .jk02_32S)
        if let problem = implausibility(r) {
            throw .frame("JK BLE cell info is implausible as \(layout.rawValue) (\(problem)); the BMS may use another generation: set option protocol_version (JK02_24S, JK02_32S, JK04)")
        }
        return r
    }

    static func u16(_ f: [UInt8], _ i: Int) -> Int { Int(f[i]) | Int(f[i + 1]) << 8 }
    static func i16(_ f: [UInt8], _ i: Int) -> Int { Int(Int16(bitPattern: UInt16(u16(f, i)))) }
    static func u32(_ f: [UInt8], _ i: Int) -> UInt32 { UInt32(u16(f, i)) | UInt32(u16(f, i + 2)) << 16 }
    static func i32(_ f: [UInt8], _ i: Int) -> Int { Int(Int32(bitPattern: u32(f, i))) }
    static func f32(_ f: [UInt8], _ i: Int) -> Double { Double(Float(bitPattern: u32(f, i))) }
    static func round(_ v: Double, _ digits: Double = 1000) -> Double { (v * digits).rounded() / digits }

    static func jk02(_ f: [UInt8], wide: Bool) -> DriverReading {
        var r = DriverReading()
        let cellCount = wide ? 32 : 24
        let o1 = wide ? 16 : 0, o2 = wide ? 32 : 0
        let mask = u32(f, 54 + o1)
        let volts = (0..<cellCount).map { Double(u16(f, 6 + 2 * $0)) / 1000 }
        let present = (0..<cellCount).filter { mask != 0 ? mask & (1 << UInt32($0)) != 0 : volts[$0] > 0 }
        r.cells = present.map { volts[$0] }
        for i in present {
            r.setExtra("cell_resistance_\(i + 1)", Double(u16(f, 64 + o1 + 2 * i)) / 1000)
        }
        r.setExtra("enabled_cells_mask", Double(mask))
        r.setExtra("max_voltage_cell", Double(f[62 + o1]) + 1)
        r.setExtra("min_voltage_cell", Double(f[63 + o1]) + 1)
        r.voltage = Double(u32(f, 118 + o2)) / 1000
        r.current = Double(i32(f, 126 + o2)) / 1000
        if let v = r.voltage, let i = r.current { r.power = round(v * i) }
        var temps = [i16(f, 130 + o2), i16(f, 132 + o2)]
        // Sensors 3 and 4 (bytes 254-255, called sensor 5, repeat the MOSFET reading in captures).
        if wide { temps += [i16(f, 258), i16(f, 256)] }
        r.temperatures = temps.filter { $0 > -400 }.map { Double($0) / 10 }  // -200.0 °C = no sensor
        r.mosTemperature = Double(wide ? i16(f, 144) : i16(f, 134)) / 10
        let errorAt = wide ? 166 : 136
        let bits = Int(f[errorAt]) << 8 | Int(f[errorAt + 1])
        r.setExtra("errors_bitmask", Double(bits))
        for e in errors where bits & (1 << e.bit) != 0 {
            r.alarms.formUnion(e.alarms)
            r.status.append(e.text)
        }
        r.setExtra("balance_current", Double(i16(f, 138 + o2)) / 1000)
        let action = f[140 + o2]
        r.setExtra("balancing_action", Double(action))
        if action == 1 { r.status.append("charging balancer active") } else if action == 2 { r.status.append("discharging balancer active") }
        r.soc = Double(f[141 + o2])
        r.remainingCapacity = Double(u32(f, 142 + o2)) / 1000
        r.fullCapacity = Double(u32(f, 146 + o2)) / 1000
        r.cycles = Double(u32(f, 150 + o2))
        r.setExtra("cycle_capacity", Double(u32(f, 154 + o2)) / 1000)
        r.soh = Double(f[158 + o2])
        r.setExtra("precharge", Double(f[159 + o2]))
        r.setExtra("up_time", Double(u32(f, 162 + o2)))
        r.chargeEnabled = f[166 + o2] != 0
        r.dischargeEnabled = f[167 + o2] != 0
        r.setExtra("balancer_working", Double(f[169 + o2]))
        return r
    }

    static func jk04(_ f: [UInt8]) -> DriverReading {
        var r = DriverReading()
        let volts = (0..<24).map { round(f32(f, 6 + 4 * $0)) }
        let present = volts.indices.filter { volts[$0] > 0 }
        r.cells = present.map { volts[$0] }
        for i in present { r.setExtra("cell_resistance_\(i + 1)", round(f32(f, 102 + 4 * i))) }
        r.voltage = round(r.cells.reduce(0, +))
        r.setExtra("average_cell_voltage", round(f32(f, 202)))
        r.setExtra("delta_cell_voltage", round(f32(f, 206)))
        r.setExtra("balancing_action", Double(f[220]))
        if f[220] != 0 { r.status.append("balancing") }
        r.setExtra("balance_current", round(f32(f, 222)))
        r.setExtra("up_time", Double(u32(f, 286)))
        return r
    }

    /// Why the values cannot be real, nil when they can.
    static func implausibility(_ r: DriverReading) -> String? {
        if r.cells.isEmpty { return "no cell voltages" }
        if let bad = r.cells.first(where: { !($0 >= 0.5 && $0 <= 5.0) }) { return "a cell reads \(bad) V" }
        if let v = r.voltage {
            let sum = r.cells.reduce(0, +)
            if abs(sum - v) > max(1.0, v * 0.05) { return "total \(v) V but the cells add up to \(round(sum)) V" }
        }
        if let t = (r.temperatures + [r.mosTemperature].compactMap { $0 }).first(where: { $0 < -50 || $0 > 150 }) {
            return "a temperature reads \(t) °C"
        }
        if let soc = r.soc, soc > 100 { return "SoC \(soc) %" }
        return nil
    }
}
