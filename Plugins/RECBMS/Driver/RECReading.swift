import BMSDriverKit

/// Maps REC answers onto the Reading. The scale of LCD1's SoC and SoH comes from the
/// unit the instruction set documents for them, never from the value: the set's unit
/// "Percent" is a fraction 0...1 on the wire (its SOCS entry, "percent", "returns float
/// value 0 – 1.0", as REC's manual says), so 0.012 is 1.2 %; a fraction outside 0...1 is
/// not published (with a status saying why). A field documented in "%" is taken as is.
public enum RECReading {
    /// The value in percent per the field's documented unit, or nil when it cannot be one.
    static func percent(_ v: Double, unit: String) -> Double? {
        switch unit.lowercased() {
        case "percent", "fraction":
            guard v >= 0, v <= 1.0005 else { return nil }
            return (min(v, 1) * 10000).rounded() / 100
        default:
            guard v >= 0, v <= 100.05 else { return nil }
            return min(v, 100)
        }
    }

    /// The reading from this poll's core answers and the kept rotating ones.
    public static func build(set: RECInstructionSet, core: [String: RECAnswer], cache: [String: RECAnswer]) -> DriverReading {
        var r = DriverReading()
        let all = cache.merging(core) { _, new in new }
        if case .array(let a)? = all["LCD1"], a.fixed.count >= 7 {
            r.current = a.fixed[2]
            r.voltage = a.fixed[4]
            let units = set.instruction("LCD1")?.fields.filter { $0.position != nil && $0.position! > 0 }.map(\.unit) ?? []
            for (index, name) in [(5, "SoC"), (6, "SoH")] {
                let unit = index < units.count ? units[index] : "Percent"
                let value = percent(a.fixed[index], unit: unit)
                if value == nil {
                    r.status.append("LCD1 \(name) \(a.fixed[index]) is outside the range of its documented unit (\(unit.lowercased() == "percent" ? "a fraction 0-1" : "0-100 %")): not published")
                }
                if index == 5 { r.soc = value } else { r.soh = value }
            }
            r.setExtra("max_temperature", a.fixed[3])
            r.setExtra("min_cell_voltage", a.fixed[0])
            r.setExtra("max_cell_voltage", a.fixed[1])
        }
        if case .array(let a)? = all["CELL"] {
            r.cells = a.units.flatMap { $0 }
            r.setExtra("bms_units", Double(a.count))
            for (i, unit) in a.units.enumerated() where a.units.count > 1 { r.setExtra("unit_\(i + 1)_cells", Double(unit.count)) }
        }
        if case .array(let a)? = all["PTEM"] { r.temperatures = a.units.flatMap { $0 } }
        if case .array(let a)? = all["ERRO"] {
            let (status, alarms) = RECError.decode(a.fixed)
            if let status { r.status.append(status) }
            r.alarms.formUnion(alarms)
            r.setExtra("error", a.fixed.first ?? 0)
        }
        if case .array(let a)? = all["LCD3"], a.fixed.count >= 8 {
            let names = ["min_cell_unit", "min_cell_number", "max_cell_unit", "max_cell_number", "max_temperature_unit", "max_temperature_sensor"]
            for (name, v) in zip(names, a.fixed) { r.setExtra(name, v) }
            r.setExtra("ah_counter", a.fixed[6] * 256 + a.fixed[7])
        }
        if case .array(let a)? = all["BTEM"], let t = a.units.first?.first { r.setExtra("bms_temperature", t) }
        if case .array(let a)? = all["RINT"] {
            for (i, v) in a.units.flatMap({ $0 }).enumerated() { r.setExtra("cell_resistance_\(i + 1)", v) }
        }
        for instruction in set.instructions where instruction.handler == .range {
            guard case .number(let v)? = all[instruction.code] else { continue }
            r.setExtra(instruction.extraName, v)
            switch instruction.code {
            case "CAPA": r.fullCapacity = v
            case "CYCL": r.cycles = v
            case "CHEM": if let name = set.chemistries[Int(v)] { r.setExtra("chemistry_name", name) }
            default: break
            }
        }
        if let soc = r.soc, let capacity = r.fullCapacity { r.remainingCapacity = (soc / 100 * capacity * 100).rounded() / 100 }
        if let v = r.voltage, let i = r.current { r.power = (v * i * 100).rounded() / 100 }
        return r
    }

    /// Identity from *IDN, SWVR and HWVR answers.
    public static func identity(_ answers: [String: RECAnswer]) -> DriverIdentity {
        var id = DriverIdentity()
        id.manufacturer = "REC"
        if case .text(let t)? = answers["*IDN"] { id.model = t }
        if case .text(let t)? = answers["SWVR"] { id.firmware = t }
        if case .text(let t)? = answers["HWVR"] { id.hardware = t }
        return id
    }
}
