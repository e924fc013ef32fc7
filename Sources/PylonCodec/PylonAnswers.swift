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

extension PylonInfo {
    /// 0x61 (V3.5): average voltage (mV), total current (S16, 10 mA), SoC (%), average and
    /// maximum cycles, average and minimum SoH (%), highest cell voltage (mV) and its module,
    /// lowest and its module, then cell, MOSFET and BMS temperatures (0.1 K) each as average,
    /// highest, its module, lowest, its module. Layout as two public implementations agree
    /// on it (python-pylontech forks with system_analog_data; a Sunsynk-document-based
    /// battery emulator); no INFO flag byte.
    public static func systemAnalog(_ s: PylonSystemAnalog) -> [UInt8] {
        var w = PylonWriter()
        w.u16(Int((s.voltage * 1000).rounded()))
        w.s16(Int((s.current * 100).rounded()))
        w.u8(Int(s.soc.rounded()))
        w.u16(s.cyclesAverage)
        w.u16(s.cyclesMax)
        w.u8(Int(s.sohAverage.rounded()))
        w.u8(Int(s.sohMin.rounded()))
        w.u16(Int((s.cellMax * 1000).rounded()))
        w.u16(s.cellMaxModule)
        w.u16(Int((s.cellMin * 1000).rounded()))
        w.u16(s.cellMinModule)
        for group in [s.cellTemperatures, s.mosfetTemperatures, s.bmsTemperatures] {
            w.s16(PylonTemperature.encode(group.average))
            w.s16(PylonTemperature.encode(group.max))
            w.u16(group.maxModule)
            w.s16(PylonTemperature.encode(group.min))
            w.u16(group.minModule)
        }
        return w.bytes
    }

    /// 0x63 (V3.5): charge and discharge voltage limits (mV), charge and discharge current
    /// limits (S16, 10 mA), status (bit 7 charge enable, 6 discharge enable, 5 charge
    /// immediately, 4 full charge request). No INFO flag byte, no address.
    public static func systemManagement(_ m: PylonManagement) -> [UInt8] {
        var w = PylonWriter()
        w.u16(Int((m.chargeVoltage * 1000).rounded()))
        w.u16(Int((m.dischargeVoltage * 1000).rounded()))
        w.s16(Int((m.chargeCurrent * 100).rounded()))
        w.s16(Int((m.dischargeCurrent * 100).rounded()))
        w.u8((m.chargeEnabled ? 0x80 : 0) | (m.dischargeEnabled ? 0x40 : 0) | (m.chargeImmediately1 || m.chargeImmediately2 ? 0x20 : 0)
             | (m.fullChargeRequest ? 0x10 : 0))
        return w.bytes
    }
}

/// 0x62's four bytes: warning 1 (bit 7 pack voltage high, 6 pack voltage low, 5 cell voltage
/// high, 4 cell voltage low, 3 cell temperature high, 2 cell temperature low, 0 cell voltage
/// difference high), warning 2 (bit 7 temperature difference high, 6 charge current high,
/// 5 discharge current high, 4 internal communication failure), protection 1 (as warning 1,
/// bits 7-2), protection 2 (bit 6 charge over-current, 5 discharge over-current, 3 other
/// failure). From one public implementation (ai-republic/bms-to-inverter) only.
public struct PylonSystemAlarms: Sendable, Equatable {
    public var warning1: UInt8 = 0, warning2: UInt8 = 0, protection1: UInt8 = 0, protection2: UInt8 = 0
    public init() {}
    public var info: [UInt8] { [warning1, warning2, protection1, protection2] }
}

/// 0x61's values.
public struct PylonSystemAnalog: Sendable, Equatable {
    /// Average, highest (and its module), lowest (and its module) of one temperature kind, °C.
    public struct Temperatures: Sendable, Equatable {
        public var average: Double, max: Double, maxModule: Int, min: Double, minModule: Int
        public init(average: Double, max: Double, maxModule: Int, min: Double, minModule: Int) {
            self.average = average
            self.max = max
            self.maxModule = maxModule
            self.min = min
            self.minModule = minModule
        }
    }
    public var voltage: Double, current: Double, soc: Double
    public var cyclesAverage: Int, cyclesMax: Int
    public var sohAverage: Double, sohMin: Double
    public var cellMax: Double, cellMaxModule: Int, cellMin: Double, cellMinModule: Int
    public var cellTemperatures: Temperatures, mosfetTemperatures: Temperatures, bmsTemperatures: Temperatures

    public init(voltage: Double, current: Double, soc: Double, cyclesAverage: Int, cyclesMax: Int, sohAverage: Double, sohMin: Double,
                cellMax: Double, cellMaxModule: Int, cellMin: Double, cellMinModule: Int, cellTemperatures: Temperatures,
                mosfetTemperatures: Temperatures, bmsTemperatures: Temperatures) {
        self.voltage = voltage
        self.current = current
        self.soc = soc
        self.cyclesAverage = cyclesAverage
        self.cyclesMax = cyclesMax
        self.sohAverage = sohAverage
        self.sohMin = sohMin
        self.cellMax = cellMax
        self.cellMaxModule = cellMaxModule
        self.cellMin = cellMin
        self.cellMinModule = cellMinModule
        self.cellTemperatures = cellTemperatures
        self.mosfetTemperatures = mosfetTemperatures
        self.bmsTemperatures = bmsTemperatures
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
    /// under-voltage, 0 module over-voltage. Status 2: bit 3 using the pack's power, bit 2
    /// discharge MOSFET on, bit 1 charge MOSFET on, bit 0 pre-charge MOSFET. Status 3: bit 7
    /// effective charge current, 6 effective discharge current, 5 heater, 3 fully charged,
    /// 0 buzzer. Status 4-5: cell faults (cells 1-8, 9-16).
    public var status: [UInt8] = [0, 0, 0, 0, 0]

    public init(cells: Int, temperatures: Int) {
        self.cells = Array(repeating: .normal, count: cells)
        self.temperatures = Array(repeating: .normal, count: temperatures)
    }
}
