import BMSDriverKit

/// What a Daly board reports, gathered answer by answer (every value big-endian):
///
/// | command | bytes |
/// |---|---|
/// | 0x90 | 0-1 pack voltage (0.1 V), 2-3 acquired voltage (0.1 V), 4-5 current (30000 offset, 0.1 A), 6-7 SoC (0.1 %) |
/// | 0x91 | 0-1 highest cell (mV), 2 its number, 3-4 lowest cell (mV), 5 its number |
/// | 0x92 | 0 highest temperature (40 offset, °C), 1 its probe, 2 lowest, 3 its probe |
/// | 0x93 | 0 state (0 idle, 1 charging, 2 discharging), 1 charge MOSFET, 2 discharge MOSFET, 3 BMS life, 4-7 remaining capacity (mAh) |
/// | 0x94 | 0 cells, 1 temperature probes, 2 charger, 3 load, 4 DI/DO bits, 5-6 cycles |
/// | 0x95 | 0 frame number, 1-6 three cells (mV) |
/// | 0x96 | 0 frame number, 1-7 seven temperatures (40 offset, °C) |
/// | 0x97 | bit n = cell n+1 balancing |
/// | 0x98 | 0-6 failure bits (see `failures`), 7 fault code |
///
/// Current: boards count discharge above the 30000 offset; where the 0x93 state says
/// charging or discharging, the sign follows the state (firmware differs on the offset's
/// direction, the state does not).
public struct DalyState: Sendable {
    public var soc: [UInt8]?
    public var cellRange: [UInt8]?
    public var temperatureRange: [UInt8]?
    public var mosfets: [UInt8]?
    public var status: [UInt8]?
    /// 0x95 frames by frame number.
    public var cellFrames: [UInt8: [UInt8]] = [:]
    /// 0x96 frames by frame number.
    public var temperatureFrames: [UInt8: [UInt8]] = [:]
    public var balancing: [UInt8]?
    public var failures: [UInt8]?

    /// Nothing yet.
    public init() {}

    /// Failure bits (byte, bit) in order, with the canonical alarm each raises.
    public static let failures: [(byte: Int, bit: Int, text: String, alarm: Alarms)] = {
        var list: [(Int, Int, String, Alarms)] = []
        let leveled: [(Int, Int, String, Alarms)] = [
            (0, 0, "cell voltage high", .cellOvervoltage), (0, 2, "cell voltage low", .cellUndervoltage),
            (0, 4, "pack voltage high", .packOvervoltage), (0, 6, "pack voltage low", .packUndervoltage),
            (1, 0, "charge temperature high", .chargeOvertemperature), (1, 2, "charge temperature low", .chargeUndertemperature),
            (1, 4, "discharge temperature high", .dischargeOvertemperature), (1, 6, "discharge temperature low", .dischargeUndertemperature),
            (2, 0, "charge overcurrent", .chargeOvercurrent), (2, 2, "discharge overcurrent", .dischargeOvercurrent),
            (2, 4, "SoC high", []), (2, 6, "SoC low", .lowSoc),
            (3, 0, "cell voltage difference", .cellImbalance), (3, 2, "temperature difference", []),
        ]
        for (byte, bit, text, alarm) in leveled {
            list.append((byte, bit, text + " (level 1)", alarm))
            list.append((byte, bit + 1, text + " (level 2)", alarm))
        }
        list += [
            (4, 0, "charge MOSFET temperature high", .mosOvertemperature), (4, 1, "discharge MOSFET temperature high", .mosOvertemperature),
            (4, 2, "charge MOSFET temperature sensor fault", .sensorFault), (4, 3, "discharge MOSFET temperature sensor fault", .sensorFault),
            (4, 4, "charge MOSFET stuck closed", .internalFault), (4, 5, "discharge MOSFET stuck closed", .internalFault),
            (4, 6, "charge MOSFET open circuit", .internalFault), (4, 7, "discharge MOSFET open circuit", .internalFault),
            (5, 0, "AFE chip fault", .internalFault), (5, 1, "cell voltage acquisition lost", .sensorFault),
            (5, 2, "cell temperature sensor fault", .sensorFault), (5, 3, "EEPROM fault", .internalFault),
            (5, 4, "RTC fault", .internalFault), (5, 5, "precharge failed", .internalFault),
            (5, 6, "vehicle communication fault", .communication), (5, 7, "internal communication fault", .internalFault),
            (6, 0, "current module fault", .sensorFault), (6, 1, "pack voltage sensor fault", .sensorFault),
            (6, 2, "short circuit protection fault", .shortCircuit), (6, 3, "charging forbidden at low voltage", .cellUndervoltage),
        ]
        return list
    }()

    /// Takes one answer.
    public mutating func take(_ frame: DalyFrame) {
        let d = frame.data
        switch DalyFrame.Command(rawValue: frame.command) {
        case .soc: soc = d
        case .cellRange: cellRange = d
        case .temperatureRange: temperatureRange = d
        case .mosfets: mosfets = d
        case .status: status = d
        case .cellVoltages: cellFrames[d[0]] = d
        case .temperatures: temperatureFrames[d[0]] = d
        case .balancing: balancing = d
        case .failures: failures = d
        case .dischargeMOS, .chargeMOS, nil: break
        }
    }

    /// Cells from 0x94, or nil before it.
    public var cellCount: Int? { status.map { Int($0[0]) } }
    /// Probes from 0x94, or nil before it.
    public var probeCount: Int? { status.map { Int($0[1]) } }

    /// The reading so far.
    public var reading: DriverReading {
        var r = DriverReading()
        func u16(_ d: [UInt8], _ i: Int) -> Int { Int(d[i]) << 8 | Int(d[i + 1]) }
        if let d = soc {
            r.voltage = Double(u16(d, 0)) / 10
            var current = Double(30000 - u16(d, 4)) / 10
            if let state = mosfets?[0] {
                if state == 1 { current = abs(current) }
                if state == 2 { current = -abs(current) }
            }
            r.current = current
            r.power = ((r.voltage ?? 0) * current * 10).rounded() / 10
            r.soc = Double(u16(d, 6)) / 10
            if u16(d, 2) != 0 { r.setExtra("acquired_voltage", Double(u16(d, 2)) / 10) }
        }
        if let d = mosfets {
            r.status.append(["idle", "charging", "discharging"][safe: Int(d[0])] ?? "state \(d[0])")
            r.chargeEnabled = d[1] != 0
            r.dischargeEnabled = d[2] != 0
            r.setExtra("bms_life", Double(d[3]))
            r.remainingCapacity = Double(Int(d[4]) << 24 | Int(d[5]) << 16 | Int(d[6]) << 8 | Int(d[7])) / 1000
            if let soc = r.soc, soc > 0, let remaining = r.remainingCapacity {
                r.fullCapacity = (remaining / soc * 100 * 10).rounded() / 10
            }
        }
        if let d = status {
            r.cycles = Double(u16(d, 5))
            r.setExtra("charger_connected", Double(d[2]))
            r.setExtra("load_connected", Double(d[3]))
            r.setExtra("dio_bits", Double(d[4]))
        }
        if !cellFrames.isEmpty {
            var cells: [Double] = []
            for n in cellFrames.keys.sorted() {
                let d = cellFrames[n]!
                cells += [1, 3, 5].map { Double(u16(d, $0)) / 1000 }
            }
            r.cells = Array(cells.prefix(cellCount ?? cells.count))
        }
        if !temperatureFrames.isEmpty {
            var temps: [Double] = []
            for n in temperatureFrames.keys.sorted() { temps += temperatureFrames[n]![1...].map { Double(Int($0) - 40) } }
            r.temperatures = Array(temps.prefix(probeCount ?? temps.count))
        }
        if let d = balancing {
            let count = cellCount ?? r.cells.count
            r.balancing = (0..<min(count, 64)).map { d[$0 / 8] & (1 << ($0 % 8)) != 0 }
        }
        if let d = cellRange {
            r.setExtra("max_cell_voltage", Double(u16(d, 0)) / 1000)
            r.setExtra("max_cell", Double(d[2]))
            r.setExtra("min_cell_voltage", Double(u16(d, 3)) / 1000)
            r.setExtra("min_cell", Double(d[5]))
        }
        if let d = temperatureRange {
            r.setExtra("max_temperature", Double(Int(d[0]) - 40))
            r.setExtra("max_temperature_probe", Double(d[1]))
            r.setExtra("min_temperature", Double(Int(d[2]) - 40))
            r.setExtra("min_temperature_probe", Double(d[3]))
        }
        if let d = failures {
            for f in Self.failures where d[f.byte] & (1 << f.bit) != 0 {
                r.alarms.formUnion(f.alarm)
                r.status.append(f.text)
            }
            r.setExtra("fault_code", Double(d[7]))
        }
        return r
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
