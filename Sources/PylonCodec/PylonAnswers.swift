/// INFO of the answers a battery gives, built from values (the sink) and read back (the
/// driver, the tests).
public enum PylonInfo {
    /// 0x51: device name (10 ASCII), software version (2 bytes), manufacturer (20 ASCII).
    public static func manufacturer(device: String, softwareVersion: (UInt8, UInt8), manufacturer: String) -> [UInt8] {
        var w = PylonWriter()
        w.ascii(device, length: 10)
        w.u8(Int(softwareVersion.0))
        w.u8(Int(softwareVersion.1))
        w.ascii(manufacturer, length: 20)
        return w.bytes
    }

    /// 0x93: command value (the module address), serial number (16 ASCII).
    public static func serialNumber(commandValue: UInt8, serial: String) -> [UInt8] {
        var w = PylonWriter()
        w.u8(Int(commandValue))
        w.ascii(serial, length: 16)
        return w.bytes
    }

    /// 0x96: command value, manufacture version (2 bytes), main-line version (3 bytes).
    public static func firmware(commandValue: UInt8, manufacture: (UInt8, UInt8), mainLine: (UInt8, UInt8, UInt8)) -> [UInt8] {
        [commandValue, manufacture.0, manufacture.1, mainLine.0, mainLine.1, mainLine.2]
    }

    /// 0x42: data flag, then the module address (one module) or the module count (all),
    /// then each module's values.
    public static func analog(commandValue: UInt8, modules: [PylonModuleValues], dataFlag: UInt8 = 0x11) -> [UInt8] {
        var w = PylonWriter()
        w.u8(Int(dataFlag))
        w.u8(Int(commandValue))
        for m in modules { m.write(to: &w) }
        return w.bytes
    }

    /// Reads a 0x42 answer of `count` modules (1 for a single-module answer).
    public static func readAnalog(_ info: [UInt8], allModules: Bool) throws(PylonError) -> (commandValue: Int, modules: [PylonModuleValues]) {
        var r = PylonReader(info)
        _ = try r.u8()
        let value = try r.u8()
        var modules: [PylonModuleValues] = []
        for _ in 0..<(allModules ? value : 1) { modules.append(try PylonModuleValues.read(&r)) }
        return (value, modules)
    }

    /// 0x47: data flag, then cell high / low / under voltage (mV), charge high / low
    /// temperature (0.1 K), charge current limit (0.1 A), module high / low / under voltage
    /// (mV), discharge high / low temperature, discharge current limit.
    public static func systemParameters(_ p: PylonSystemParameters) -> [UInt8] {
        var w = PylonWriter()
        w.u8(0x11)
        w.u16(Int((p.cellHighVoltage * 1000).rounded()))
        w.u16(Int((p.cellLowVoltage * 1000).rounded()))
        w.s16(Int((p.cellUnderVoltage * 1000).rounded()))
        w.s16(PylonTemperature.encode(p.chargeHighTemperature))
        w.s16(PylonTemperature.encode(p.chargeLowTemperature))
        w.s16(Int((p.chargeCurrent * 10).rounded()))
        w.u16(Int((p.moduleHighVoltage * 1000).rounded()))
        w.u16(Int((p.moduleLowVoltage * 1000).rounded()))
        w.u16(Int((p.moduleUnderVoltage * 1000).rounded()))
        w.s16(PylonTemperature.encode(p.dischargeHighTemperature))
        w.s16(PylonTemperature.encode(p.dischargeLowTemperature))
        w.s16(Int((p.dischargeCurrent * 10).rounded()))
        return w.bytes
    }

    /// 0x44: data flag, command value, per-cell states, per-temperature states, charge
    /// current, module voltage and discharge current states (00 normal, 01 below the lower
    /// limit, 02 above the upper limit, F0 other), then status bytes 1-5.
    public static func alarms(commandValue: UInt8, _ a: PylonAlarms) -> [UInt8] {
        var w = PylonWriter()
        w.u8(0x11)
        w.u8(Int(commandValue))
        w.u8(a.cells.count)
        for s in a.cells { w.u8(Int(s.rawValue)) }
        w.u8(a.temperatures.count)
        for s in a.temperatures { w.u8(Int(s.rawValue)) }
        w.u8(Int(a.chargeCurrent.rawValue))
        w.u8(Int(a.moduleVoltage.rawValue))
        w.u8(Int(a.dischargeCurrent.rawValue))
        for s in a.status { w.u8(Int(s)) }
        return w.bytes
    }
}

/// 0x47's values.
public struct PylonSystemParameters: Sendable, Equatable {
    public var cellHighVoltage: Double, cellLowVoltage: Double, cellUnderVoltage: Double
    public var chargeHighTemperature: Double, chargeLowTemperature: Double, chargeCurrent: Double
    public var moduleHighVoltage: Double, moduleLowVoltage: Double, moduleUnderVoltage: Double
    public var dischargeHighTemperature: Double, dischargeLowTemperature: Double, dischargeCurrent: Double

    public init(cellHighVoltage: Double, cellLowVoltage: Double, cellUnderVoltage: Double, chargeHighTemperature: Double,
                chargeLowTemperature: Double, chargeCurrent: Double, moduleHighVoltage: Double, moduleLowVoltage: Double,
                moduleUnderVoltage: Double, dischargeHighTemperature: Double, dischargeLowTemperature: Double, dischargeCurrent: Double) {
        self.cellHighVoltage = cellHighVoltage
        self.cellLowVoltage = cellLowVoltage
        self.cellUnderVoltage = cellUnderVoltage
        self.chargeHighTemperature = chargeHighTemperature
        self.chargeLowTemperature = chargeLowTemperature
        self.chargeCurrent = chargeCurrent
        self.moduleHighVoltage = moduleHighVoltage
        self.moduleLowVoltage = moduleLowVoltage
        self.moduleUnderVoltage = moduleUnderVoltage
        self.dischargeHighTemperature = dischargeHighTemperature
        self.dischargeLowTemperature = dischargeLowTemperature
        self.dischargeCurrent = dischargeCurrent
    }
}

/// 0x44's states.
public struct PylonAlarms: Sendable, Equatable {
    public enum State: UInt8, Sendable { case normal = 0x00, belowLower = 0x01, aboveUpper = 0x02, other = 0xF0 }
    public var cells: [State]
    public var temperatures: [State]
    public var chargeCurrent = State.normal
    public var moduleVoltage = State.normal
    public var dischargeCurrent = State.normal
    /// Status 1: bit 7 module under-voltage, 6 charge over-temperature, 5 discharge
    /// over-temperature, 4 discharge over-current, 2 charge over-current, 1 cell
    /// under-voltage, 0 module over-voltage. Status 2: bit 2 charge MOSFET on, bit 1
    /// discharge MOSFET on. Status 3: bit 3 fully charged. Status 4-5: cell faults (0).
    public var status: [UInt8] = [0, 0, 0, 0, 0]

    public init(cells: Int, temperatures: Int) {
        self.cells = Array(repeating: .normal, count: cells)
        self.temperatures = Array(repeating: .normal, count: temperatures)
    }
}
