/// What the bq78350-R1 gas gauge exposes over SMBus (TI technical reference facts; the
/// Data Flash addresses as published for the bq78350): SBS commands, ManufacturerAccess
/// (MAC) subcommands with their risk, status flag names and Data Flash parameters. The
/// driver and the emulator share this map.
public enum BQ78350 {
    /// How an SBS command reads.
    public enum Kind: String, Sendable { case word, signedWord, block, string }

    /// One SBS command.
    public struct Command: Sendable {
        public var code: UInt8
        public var name: String
        public var kind: Kind
        public var unit: String
    }

    public static let manufacturerAccess: UInt8 = 0x00
    public static let manufacturerBlockAccess: UInt8 = 0x44
    /// Registers the API never writes: ManufacturerAccess and CellVoltage2/1 (as the LC30 plugin).
    public static let protectedRegisters: Set<UInt8> = [0x00, 0x3E, 0x3F]

    public static let commands: [Command] = [
        .init(code: 0x01, name: "RemainingCapacityAlarm", kind: .word, unit: "mAh"),
        .init(code: 0x02, name: "RemainingTimeAlarm", kind: .word, unit: "min"),
        .init(code: 0x03, name: "BatteryMode", kind: .word, unit: ""),
        .init(code: 0x04, name: "AtRate", kind: .signedWord, unit: "mA"),
        .init(code: 0x08, name: "Temperature", kind: .word, unit: "0.1K"),
        .init(code: 0x09, name: "Voltage", kind: .word, unit: "mV"),
        .init(code: 0x0A, name: "Current", kind: .signedWord, unit: "mA"),
        .init(code: 0x0B, name: "AverageCurrent", kind: .signedWord, unit: "mA"),
        .init(code: 0x0C, name: "MaxError", kind: .word, unit: "%"),
        .init(code: 0x0D, name: "RelativeStateOfCharge", kind: .word, unit: "%"),
        .init(code: 0x0E, name: "AbsoluteStateOfCharge", kind: .word, unit: "%"),
        .init(code: 0x0F, name: "RemainingCapacity", kind: .word, unit: "mAh"),
        .init(code: 0x10, name: "FullChargeCapacity", kind: .word, unit: "mAh"),
        .init(code: 0x11, name: "RunTimeToEmpty", kind: .word, unit: "min"),
        .init(code: 0x12, name: "AverageTimeToEmpty", kind: .word, unit: "min"),
        .init(code: 0x13, name: "AverageTimeToFull", kind: .word, unit: "min"),
        .init(code: 0x14, name: "ChargingCurrent", kind: .word, unit: "mA"),
        .init(code: 0x15, name: "ChargingVoltage", kind: .word, unit: "mV"),
        .init(code: 0x16, name: "BatteryStatus", kind: .word, unit: ""),
        .init(code: 0x17, name: "CycleCount", kind: .word, unit: ""),
        .init(code: 0x18, name: "DesignCapacity", kind: .word, unit: "mAh"),
        .init(code: 0x19, name: "DesignVoltage", kind: .word, unit: "mV"),
        .init(code: 0x1A, name: "SpecificationInfo", kind: .word, unit: ""),
        .init(code: 0x1B, name: "ManufactureDate", kind: .word, unit: ""),
        .init(code: 0x1C, name: "SerialNumber", kind: .word, unit: ""),
        .init(code: 0x20, name: "ManufacturerName", kind: .string, unit: ""),
        .init(code: 0x21, name: "DeviceName", kind: .string, unit: ""),
        .init(code: 0x22, name: "DeviceChemistry", kind: .string, unit: ""),
        .init(code: 0x3C, name: "CellVoltage4", kind: .word, unit: "mV"),
        .init(code: 0x3D, name: "CellVoltage3", kind: .word, unit: "mV"),
        .init(code: 0x3E, name: "CellVoltage2", kind: .word, unit: "mV"),
        .init(code: 0x3F, name: "CellVoltage1", kind: .word, unit: "mV"),
        .init(code: 0x4F, name: "StateOfHealth", kind: .word, unit: "%"),
        .init(code: 0x50, name: "SafetyAlert", kind: .block, unit: ""),
        .init(code: 0x51, name: "SafetyStatus", kind: .block, unit: ""),
        .init(code: 0x52, name: "PFAlert", kind: .block, unit: ""),
        .init(code: 0x53, name: "PFStatus", kind: .block, unit: ""),
        .init(code: 0x54, name: "OperationStatus", kind: .block, unit: ""),
        .init(code: 0x55, name: "ChargingStatus", kind: .block, unit: ""),
        .init(code: 0x56, name: "GaugingStatus", kind: .block, unit: ""),
    ]

    public static func command(_ code: UInt8) -> Command? { commands.first { $0.code == code } }

    /// A MAC subcommand and how risky it is to send.
    public struct MAC: Sendable {
        public var code: UInt16
        public var name: String
        public var description: String
        /// "read", "low", "dangerous" (dangerous ones need confirm).
        public var risk: String
    }

    public static let macCommands: [MAC] = [
        .init(code: 0x0001, name: "DeviceType", description: "Device type", risk: "read"),
        .init(code: 0x0002, name: "FirmwareVersion", description: "Firmware version block", risk: "read"),
        .init(code: 0x0003, name: "HardwareVersion", description: "Hardware version", risk: "read"),
        .init(code: 0x0021, name: "GaugingEnable", description: "Toggle gauging", risk: "low"),
        .init(code: 0x0022, name: "FETControl", description: "Toggle FET control by the gauge", risk: "dangerous"),
        .init(code: 0x001F, name: "ChargeFET", description: "Toggle the charge FET (test mode)", risk: "dangerous"),
        .init(code: 0x0020, name: "DischargeFET", description: "Toggle the discharge FET (test mode)", risk: "dangerous"),
        .init(code: 0x0029, name: "PermanentFailEnable", description: "Toggle permanent failure protections", risk: "dangerous"),
        .init(code: 0x0030, name: "Seal", description: "Seal the device", risk: "low"),
        .init(code: 0x0041, name: "DeviceReset", description: "Reset the gauge", risk: "dangerous"),
        .init(code: 0x0050, name: "SafetyAlert", description: "Safety alert flags", risk: "read"),
        .init(code: 0x0051, name: "SafetyStatus", description: "Safety status flags", risk: "read"),
        .init(code: 0x0052, name: "PFAlert", description: "Permanent failure alert flags", risk: "read"),
        .init(code: 0x0053, name: "PFStatus", description: "Permanent failure status flags", risk: "read"),
        .init(code: 0x0054, name: "OperationStatus", description: "Operation status flags", risk: "read"),
        .init(code: 0x0055, name: "ChargingStatus", description: "Charging status flags", risk: "read"),
        .init(code: 0x0056, name: "GaugingStatus", description: "Gauging status flags", risk: "read"),
    ]

    public static func mac(_ code: UInt16) -> MAC? { macCommands.first { $0.code == code } }

    /// Flag names per status register, bit 0 first ("" = reserved).
    public static let flags: [String: [String]] = [
        "safety_alert": safetyBits, "safety_status": safetyBits,
        "pf_alert": pfBits, "pf_status": pfBits,
        "operation_status": ["PRES", "DSG", "CHG", "PCHG", "", "FUSE", "", "", "SEC0", "SEC1", "", "", "SAFE", "PF", "XDSG", "XCHG",
                             "SLEEP", "SDM", "LED", "AUTH", "", "", "", "CAL", "", "", "", "", "", "KEYIN", "", "EMSHUT"],
        "charging_status": ["UT", "LT", "STL", "RT", "STH", "HT", "OT", "PV", "LV", "MV", "HV", "IN", "SU", "MCHG", "VCT", "CCR",
                            "CVR", "CCC", "", "", "", "", "", ""],
        "gauging_status": ["FD", "FC", "TD", "TC", "", "EDV", "DSG", "CF", "", "", "", "", "REST", "", "", "", "", "", "", "", "",
                           "", "", ""],
    ]

    static let safetyBits = ["CUV", "COV", "OCC1", "OCC2", "OCD1", "OCD2", "AOLD", "AOLDL", "ASCC", "ASCCL", "ASCD", "ASCDL", "OTC",
                             "OTD", "CUVC", "OTF", "", "PTO", "", "CTO", "", "", "OC", "", "CHGC", "CHGV", "PCHGC", "UTC", "UTD", "",
                             "", ""]
    static let pfBits = ["SUV", "SOV", "SOCC", "SOCD", "SOT", "", "SOTF", "", "", "", "", "", "CFETF", "DFETF", "", "FUSE", "AFER",
                         "AFEC", "", "", "", "", "", "", "", "", "", "", "", "", "", ""]

    /// The names of the set bits of `value` in `register`.
    public static func setFlags(_ register: String, _ value: UInt32) -> [String: Bool] {
        var out: [String: Bool] = [:]
        for (i, name) in (flags[register] ?? []).enumerated() where !name.isEmpty {
            out[name] = value & (1 << UInt32(i)) != 0
        }
        return out
    }

    /// Security modes from OperationStatus SEC1:SEC0.
    public static func security(operationStatus: UInt32) -> String {
        switch (operationStatus >> 8) & 3 {
        case 1: "FULL_ACCESS"
        case 2: "UNSEALED"
        case 3: "SEALED"
        default: "UNKNOWN"
        }
    }

    /// Default keys (as shipped): unseal 0x0414 0x3672, full access 0xFFFF 0xFFFF.
    public static let defaultUnsealKeys: (UInt16, UInt16) = (0x0414, 0x3672)
    public static let defaultFullAccessKeys: (UInt16, UInt16) = (0xFFFF, 0xFFFF)
}
