import BMSDriverKit

/// The answer to register 0x03 (basic information), big-endian:
///
/// | bytes | field | unit |
/// |---|---|---|
/// | 0-1 | pack voltage | 10 mV |
/// | 2-3 | current, signed, + = charging | 10 mA |
/// | 4-5 | remaining capacity | 10 mAh |
/// | 6-7 | nominal capacity | 10 mAh |
/// | 8-9 | cycles | |
/// | 10-11 | production date: (year-2000)<<9 \| month<<5 \| day | |
/// | 12-15 | balancing bits, cells 1-16 then 17-32 | |
/// | 16-17 | protection bits (see `protections`) | |
/// | 18 | software version, 0x21 = 2.1 | |
/// | 19 | SoC | % |
/// | 20 | MOSFET state: bit 0 charging on, bit 1 discharging on | |
/// | 21 | cells | |
/// | 22 | temperature probes (NTC) | |
/// | 23... | each probe | 0.1 K |
///
/// Newer firmware appends more bytes after the probes; they are ignored.
public struct JBDBasicInfo: Sendable, Equatable {
    public var voltage: Double
    public var current: Double
    public var remainingCapacity: Double
    public var nominalCapacity: Double
    public var cycles: Int
    /// Production date as (year, month, day).
    public var productionDate: (year: Int, month: Int, day: Int)
    /// Balancing state of cells 1...32.
    public var balancing: UInt32
    /// Protection bits.
    public var protection: UInt16
    /// Software version byte (0x21 = 2.1).
    public var softwareVersion: UInt8
    public var soc: Int
    public var chargeEnabled: Bool
    public var dischargeEnabled: Bool
    public var cellCount: Int
    /// Probe temperatures, °C.
    public var temperatures: [Double]

    /// A value (the emulator builds answers from it).
    public init(voltage: Double, current: Double, remainingCapacity: Double, nominalCapacity: Double, cycles: Int,
                productionDate: (year: Int, month: Int, day: Int), balancing: UInt32 = 0, protection: UInt16 = 0,
                softwareVersion: UInt8 = 0x21, soc: Int, chargeEnabled: Bool = true, dischargeEnabled: Bool = true,
                cellCount: Int, temperatures: [Double]) {
        self.voltage = voltage
        self.current = current
        self.remainingCapacity = remainingCapacity
        self.nominalCapacity = nominalCapacity
        self.cycles = cycles
        self.productionDate = productionDate
        self.balancing = balancing
        self.protection = protection
        self.softwareVersion = softwareVersion
        self.soc = soc
        self.chargeEnabled = chargeEnabled
        self.dischargeEnabled = dischargeEnabled
        self.cellCount = cellCount
        self.temperatures = temperatures
    }

    public static func == (a: JBDBasicInfo, b: JBDBasicInfo) -> Bool { a.encoded == b.encoded }

    /// Protection bits, in bit order, with the canonical alarm each raises.
    public static let protections: [(text: String, alarm: Alarms)] = [
        ("cell overvoltage", .cellOvervoltage), ("cell undervoltage", .cellUndervoltage),
        ("pack overvoltage", .packOvervoltage), ("pack undervoltage", .packUndervoltage),
        ("charge overtemperature", .chargeOvertemperature), ("charge undertemperature", .chargeUndertemperature),
        ("discharge overtemperature", .dischargeOvertemperature), ("discharge undertemperature", .dischargeUndertemperature),
        ("charge overcurrent", .chargeOvercurrent), ("discharge overcurrent", .dischargeOvercurrent),
        ("short circuit", .shortCircuit), ("front-end IC error", .internalFault),
        ("MOSFETs locked by software", []),
        ("protection bit 13", .internalFault), ("protection bit 14", .internalFault), ("protection bit 15", .internalFault),
    ]

    /// Decodes the data of a 0x03 answer.
    public static func decode(_ d: [UInt8]) throws(DriverError) -> JBDBasicInfo {
        guard d.count >= 23 else { throw .frame("basic info: \(d.count) bytes, at least 23 needed") }
        func u16(_ i: Int) -> Int { Int(d[i]) << 8 | Int(d[i + 1]) }
        let probes = Int(d[22])
        guard d.count >= 23 + 2 * probes else {
            throw .frame("basic info: \(probes) temperature probes need \(23 + 2 * probes) bytes, got \(d.count)")
        }
        let cells = Int(d[21])
        guard cells <= 32 else { throw .frame("basic info: \(cells) cells (at most 32)") }
        let date = u16(10)
        return JBDBasicInfo(
            voltage: Double(u16(0)) / 100, current: Double(Int16(bitPattern: UInt16(u16(2)))) / 100,
            remainingCapacity: Double(u16(4)) / 100, nominalCapacity: Double(u16(6)) / 100, cycles: u16(8),
            productionDate: (2000 + (date >> 9), (date >> 5) & 0x0F, date & 0x1F),
            balancing: UInt32(u16(12)) | UInt32(u16(14)) << 16, protection: UInt16(u16(16)), softwareVersion: d[18],
            soc: Int(d[19]), chargeEnabled: d[20] & 1 != 0, dischargeEnabled: d[20] & 2 != 0, cellCount: cells,
            temperatures: (0..<probes).map { (Double(u16(23 + 2 * $0) - 2731) / 10) })
    }

    /// The data of a 0x03 answer.
    public var encoded: [UInt8] {
        var d: [UInt8] = []
        func u16(_ v: Int) { d += [UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        u16(Int((voltage * 100).rounded()))
        u16(Int(UInt16(bitPattern: Int16((current * 100).rounded()))))
        u16(Int((remainingCapacity * 100).rounded()))
        u16(Int((nominalCapacity * 100).rounded()))
        u16(cycles)
        u16((productionDate.year - 2000) << 9 | productionDate.month << 5 | productionDate.day)
        u16(Int(balancing & 0xFFFF))
        u16(Int(balancing >> 16))
        u16(Int(protection))
        d += [softwareVersion, UInt8(soc), (chargeEnabled ? 1 : 0) | (dischargeEnabled ? 2 : 0), UInt8(cellCount), UInt8(temperatures.count)]
        for t in temperatures { u16(Int((t * 10).rounded()) + 2731) }
        return d
    }

    /// Fills a reading: totals, capacities, cycles, balancing, alarms, MOSFET state; the
    /// production date and software version go to extras.
    public func apply(to r: inout DriverReading) {
        r.voltage = voltage
        r.current = current
        r.power = (voltage * current * 100).rounded() / 100
        r.soc = Double(soc)
        r.remainingCapacity = remainingCapacity
        r.fullCapacity = nominalCapacity
        r.cycles = Double(cycles)
        r.temperatures = temperatures
        r.balancing = (0..<cellCount).map { balancing & (1 << UInt32($0)) != 0 }
        r.chargeEnabled = chargeEnabled
        r.dischargeEnabled = dischargeEnabled
        for (bit, p) in Self.protections.enumerated() where protection & (1 << UInt16(bit)) != 0 {
            r.alarms.formUnion(p.alarm)
            r.status.append(p.text)
        }
        r.setExtra("protection_bits", Double(protection))
        r.setExtra("production_date", date)
        r.setExtra("software_version", version)
    }

    /// "2.1" from 0x21.
    public var version: String { "\(softwareVersion >> 4).\(softwareVersion & 0x0F)" }

    /// "2022-03-28".
    public var date: String {
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(productionDate.year)-\(two(productionDate.month))-\(two(productionDate.day))"
    }
}
