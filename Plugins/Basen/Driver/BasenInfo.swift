import BMSDriverKit

/// Decoder of the info answer (command 0x01). The payload is a list of
/// `type, count, count × value` records; types up to 0x0A carry 16-bit values,
/// later types 32-bit ones:
///
/// | type | content | unit |
/// |------|---------|------|
/// | 0x01 | cell voltages; bit 15 = balancing | mV |
/// | 0x02 | current, 30000 − raw = charging | 10 mA |
/// | 0x03 | state of charge | 0.01 % |
/// | 0x04 | full capacity | 0.01 Ah |
/// | 0x05 | temperatures: (kind, raw) pairs, kind 0x40 MOS, 0x20 ambient, else cell probe; raw − 50 | °C |
/// | 0x06 | status bitmask (10 bytes, see BasenStatus) | |
/// | 0x07 | cycles | |
/// | 0x08 | pack voltage | 10 mV |
/// | 0x09 | state of health | 0.01 % |
/// | 0x0A... | undocumented, kept as extras `info_0x0a`... | raw |
public enum BasenInfo {
    /// Offset of the current field: raw 30000 = 0 A.
    public static let currentOffset = 30000
    /// Offset of temperature bytes: raw 50 = 0 °C.
    public static let temperatureOffset = 50
    /// Temperature kind byte of the MOSFET probe.
    public static let mosKind: UInt8 = 0x40
    /// Temperature kind byte of the ambient probe.
    public static let ambientKind: UInt8 = 0x20

    /// The extra name of each undocumented record type (`info_0x0a`...), made once.
    static let infoNames = (0...255).map { "info_0x" + Hex.format([UInt8($0)]) }

    /// Decodes the info payload into `reading`.
    public static func decode(_ data: [UInt8], into reading: inout DriverReading) throws(DriverError) {
        var i = 0
        var sawCells = false
        while i < data.count {
            guard i + 2 <= data.count else { throw .frame("info record header cut at byte \(i)") }
            let type = data[i]
            let count = Int(data[i + 1])
            let size = type == 0x05 ? 2 : (type > 0x0A ? 4 : 2)
            let end = i + 2 + count * size
            guard end <= data.count else {
                throw .frame("info record 0x\(Hex.format([type])) needs \(count * size) bytes, \(data.count - i - 2) left")
            }
            let values = Array(data[(i + 2)..<end])
            func u16(_ k: Int) -> Int { Int(values[2 * k]) << 8 | Int(values[2 * k + 1]) }
            func u32(_ k: Int) -> Int {
                Int(values[4 * k]) << 24 | Int(values[4 * k + 1]) << 16 | Int(values[4 * k + 2]) << 8 | Int(values[4 * k + 3])
            }
            switch type {
            case 0x01:
                sawCells = true
                reading.cells = (0..<count).map { Double(u16($0) & 0x7FFF) / 1000 }
                reading.balancing = (0..<count).map { u16($0) & 0x8000 != 0 }
            case 0x02 where count > 0:
                reading.current = Double(currentOffset - u16(0)) / 100
            case 0x03 where count > 0:
                reading.soc = Double(u16(0)) / 100
            case 0x04 where count > 0:
                reading.fullCapacity = Double(u16(0)) / 100
            case 0x05:
                reading.temperatures = []
                for k in 0..<count {
                    let kind = values[2 * k]
                    let celsius = Double(Int(values[2 * k + 1]) - temperatureOffset)
                    switch kind {
                    case mosKind: reading.mosTemperature = celsius
                    case ambientKind: reading.ambientTemperature = celsius
                    default: reading.temperatures.append(celsius)
                    }
                }
            case 0x06:
                let status = BasenStatus(bytes: values)
                let report = status.report
                reading.status = report.texts
                reading.alarms.formUnion(report.alarms)
                reading.chargeEnabled = !status.chargeOff
                reading.dischargeEnabled = !status.dischargeOff
                reading.setExtra("status_bitmask", status.bitmaskText)
                reading.setExtra("error_bitmask", Double(report.errorBitmask))
                reading.setExtra("alarm", report.alarm ? 1 : 0)
                reading.setExtra("fault", report.fault ? 1 : 0)
                reading.setExtra("status_text", report.summary)
            case 0x07 where count > 0:
                reading.cycles = Double(u16(0))
            case 0x08 where count > 0:
                reading.voltage = Double(u16(0)) / 100
            case 0x09 where count > 0:
                reading.soh = Double(u16(0)) / 100
            default:
                let name = infoNames[Int(type)]
                if count == 1 {
                    reading.setExtra(name, Double(size == 4 ? u32(0) : u16(0)))
                } else if count > 1 {
                    reading.setExtra(name, Hex.format(values, separator: ""))
                }
            }
            i = end
        }
        guard sawCells else { throw .frame("info answer has no cell record (type 0x01)") }
        if let v = reading.voltage, let a = reading.current { reading.power = (v * a * 100).rounded() / 100 }
        if !reading.cells.isEmpty {
            let lo = reading.cells.min()!, hi = reading.cells.max()!
            reading.setExtra("cell_min_index", Double(reading.cells.firstIndex(of: lo)! + 1))
            reading.setExtra("cell_max_index", Double(reading.cells.firstIndex(of: hi)! + 1))
        }
    }

    /// Encodes an info payload (the emulator's answer), the inverse of `decode`.
    public static func encode(cellsMv: [Int], balancing: [Bool], currentCentiAmps: Int, socCenti: Int,
                              capacityCentiAh: Int, cellTemps: [Int], mosTemp: Int, ambientTemp: Int,
                              status: [UInt8], cycles: Int, voltageCenti: Int, sohCenti: Int,
                              tail: [UInt8]) -> [UInt8] {
        func be16(_ v: Int) -> [UInt8] { [UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        var out: [UInt8] = [0x01, UInt8(cellsMv.count)]
        for (k, mv) in cellsMv.enumerated() {
            out += be16(mv | (k < balancing.count && balancing[k] ? 0x8000 : 0))
        }
        out += [0x02, 1] + be16(currentOffset - currentCentiAmps)
        out += [0x03, 1] + be16(socCenti)
        out += [0x04, 1] + be16(capacityCentiAh)
        let temps = cellTemps.map { [UInt8(0), UInt8(clamping: $0 + temperatureOffset)] }
            + [[mosKind, UInt8(clamping: mosTemp + temperatureOffset)], [ambientKind, UInt8(clamping: ambientTemp + temperatureOffset)]]
        out += [0x05, UInt8(temps.count)] + temps.flatMap { $0 }
        out += [0x06, UInt8(status.count / 2)] + status
        out += [0x07, 1] + be16(cycles)
        out += [0x08, 1] + be16(voltageCenti)
        out += [0x09, 1] + be16(sohCenti)
        return out + tail
    }
}
