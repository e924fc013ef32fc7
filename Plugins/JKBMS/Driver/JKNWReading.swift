import BMSDriverKit

/// An NW data set as a Reading: cells, temperatures (0x81 box and 0x82 battery are the
/// probes; 0x80 is the MOSFET), voltage, current by the protocol version's rule, SoC,
/// cycles, warnings → canonical alarms, status → charge/discharge enabled, every setting as
/// an extra (the password never).
public enum JKNWReading {
    /// Warning bits (0x8B): vendor text and canonical alarms.
    static let warnings: [(bit: Int, text: String, alarms: Alarms)] = [
        (0, "low capacity", .lowSoc),
        (1, "MOSFET over-temperature", .mosOvertemperature),
        (2, "charging over-voltage", .packOvervoltage),
        (3, "discharging under-voltage", .packUndervoltage),
        (4, "battery over-temperature", [.chargeOvertemperature, .dischargeOvertemperature]),
        (5, "charging over-current", .chargeOvercurrent),
        (6, "discharging over-current", .dischargeOvercurrent),
        (7, "cell voltage difference", .cellImbalance),
        (8, "battery box over-temperature", [.chargeOvertemperature, .dischargeOvertemperature]),
        (9, "battery low temperature", [.chargeUndertemperature, .dischargeUndertemperature]),
        (10, "cell over-voltage", .cellOvervoltage),
        (11, "cell under-voltage", .cellUndervoltage),
        (12, "309_A protection", .internalFault),
        (13, "309_B protection", .internalFault),
    ]

    /// The current in A (+ = charging) from 0x84's raw value. Protocol version 1 (0xC0 =
    /// 1): bit 15 set = charging, bits 0-14 in 10 mA. Otherwise: (10000 - raw) x 10 mA.
    public static func current(raw: Int, protocolVersion: Int) -> Double {
        if protocolVersion >= 1 {
            let magnitude = Double(raw & 0x7FFF) / 100
            return raw & 0x8000 != 0 ? magnitude : -magnitude
        }
        return Double(10000 - raw) / 100
    }

    /// The reading of a data set. `protocolVersion` overrides 0xC0 (option `protocol_version`).
    public static func build(_ data: JKNWData, protocolVersion override: Int? = nil) -> DriverReading {
        var r = DriverReading()
        let sorted = data.cells.sorted { $0.number < $1.number }
        r.cells = sorted.map(\.volts)
        r.voltage = data.number(0x83)
        let version = override ?? data.number(0xC0).map { Int($0) } ?? 0
        if let b = data.bytes(0x84), b.count == 2 {
            r.current = current(raw: Int(b[0]) << 8 | Int(b[1]), protocolVersion: version)
        }
        if let v = r.voltage, let i = r.current { r.power = (v * i * 100).rounded() / 100 }
        r.soc = data.number(0x85)
        r.cycles = data.number(0x87)
        r.mosTemperature = data.number(0x80)
        r.temperatures = [0x81, 0x82].compactMap { data.number($0) }
        let nominal = data.number(0xB9).flatMap { $0 > 0 ? $0 : nil } ?? data.number(0xAA).flatMap { $0 > 0 ? $0 : nil }
        r.fullCapacity = nominal
        if let nominal, let soc = r.soc { r.remainingCapacity = (nominal * soc).rounded() / 100 }
        if let w = data.number(0x8B) {
            let bits = Int(w)
            for warning in warnings where bits & (1 << warning.bit) != 0 {
                r.alarms.formUnion(warning.alarms)
                r.status.append(warning.text)
            }
        }
        if let s = data.number(0x8C) {
            let bits = Int(s)
            r.chargeEnabled = bits & 1 != 0
            r.dischargeEnabled = bits & 2 != 0
            r.setExtra("balancer_on", bits & 4 != 0 ? 1 : 0)
            // Bit 3 ("battery dropped": 1 normal) is 0 in captures of healthy packs: not used.
        }
        if let count = data.number(0x8A), !r.cells.isEmpty, Int(count) != r.cells.count {
            r.status.append("cell count \(Int(count)) but \(r.cells.count) cell voltages")
        }
        // Totals cross-checked: a wrong protocol version or layout must not pass as truth.
        if let v = r.voltage, r.cells.count > 1 {
            let sum = r.cells.reduce(0, +)
            if abs(sum - v) > max(1.0, v * 0.05) {
                r.status.append("implausible: total voltage \(v) V but the cells add up to \((sum * 1000).rounded() / 1000) V")
                r.alarms.insert(.sensorFault)
            }
        }
        for e in data.entries {
            guard let reg = JKNWRegister.code(e.code), !reg.secret else { continue }
            switch e.code {
            case 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x87: continue  // in the reading itself
            default: break
            }
            switch reg.value(e.bytes[...]) {
            case .number(let n): r.setExtra(reg.name, n)
            case .text(let t): r.setExtra(reg.name, t)
            }
        }
        if data.bytes(0x84) != nil { r.setExtra("current_rule", version >= 1 ? "bit15_10mA" : "offset_10000") }
        return r
    }

    /// The identity: software version (0xB7) as firmware, device id (0xB4) as serial,
    /// manufacturer id (0xBA) as model.
    public static func identity(_ data: JKNWData) -> DriverIdentity {
        var id = DriverIdentity()
        id.manufacturer = "JK BMS"
        if case .text(let t) = data.value(0xB7) { id.firmware = t }
        if case .text(let t) = data.value(0xB4) { id.serial = t }
        if case .text(let t) = data.value(0xBA) { id.model = t }
        return id
    }
}
