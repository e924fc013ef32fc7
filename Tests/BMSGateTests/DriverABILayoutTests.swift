import CBMSDriver
import Testing

/// The Swift side of the ABI layout asserts (Sources/CBMSDriver/bms_driver_layout.c holds the C side).
@Suite struct DriverABILayoutTests {
    @Test func structSizesAndOffsets() {
        #expect(BMS_ABI_MAJOR == 1 && BMS_ABI_MINOR == 3)
        #expect(MemoryLayout<bms_option>.size == 16)
        #expect(MemoryLayout<bms_link>.size == 112)
        #expect(MemoryLayout<bms_link>.offset(of: \.read_at_least) == 104)
        #expect(MemoryLayout<bms_link>.offset(of: \.bus_id) == 88)
        #expect(MemoryLayout<bms_link>.offset(of: \.bus_device) == 96)
        #expect(MemoryLayout<bms_link>.offset(of: \.struct_size) == 0)
        #expect(MemoryLayout<bms_link>.offset(of: \.address) == 8)
        #expect(MemoryLayout<bms_link>.offset(of: \.ctx) == 24)
        #expect(MemoryLayout<bms_link>.offset(of: \.write) == 32)
        #expect(MemoryLayout<bms_link>.offset(of: \.sleep_ms) == 80)
        #expect(MemoryLayout<bms_identity>.size == 324)
        #expect(MemoryLayout<bms_reading>.size == 336)
        #expect(MemoryLayout<bms_reading>.offset(of: \.voltage) == 8)
        #expect(MemoryLayout<bms_reading>.offset(of: \.cells) == 88)
        #expect(MemoryLayout<bms_reading>.offset(of: \.alarms) == 128)
        #expect(MemoryLayout<bms_reading>.offset(of: \.host) == 144)
        #expect(MemoryLayout<bms_reading>.offset(of: \.error) == 176)
        #expect(MemoryLayout<bms_emulator_ops>.size == 40)
        #expect(MemoryLayout<bms_driver>.size == 192)
        #expect(MemoryLayout<bms_driver>.offset(of: \.serial_defaults) == 184)
        #expect(MemoryLayout<bms_driver>.offset(of: \.ble_names) == 176)
        #expect(MemoryLayout<bms_driver>.offset(of: \.commands) == 144)
        #expect(MemoryLayout<bms_driver>.offset(of: \.option_count) == 168)
        #expect(MemoryLayout<bms_option_desc>.size == 56)
        #expect(MemoryLayout<bms_option_desc>.offset(of: \.min) == 24)
        #expect(MemoryLayout<bms_command_desc>.size == 72)
        #expect(MemoryLayout<bms_command_desc>.offset(of: \.writes_when) == 64)
        #expect(MemoryLayout<bms_driver>.offset(of: \.id) == 16)
        #expect(MemoryLayout<bms_driver>.offset(of: \.open) == 80)
        #expect(MemoryLayout<bms_driver>.offset(of: \.close) == 120)
        #expect(MemoryLayout<bms_driver>.offset(of: \.emulator) == 128)
        #expect(MemoryLayout<bms_driver>.offset(of: \.decode) == 136)
    }

    @Test func canonicalAlarmBitsMatchTheirNames() {
        #expect(CanonicalAlarmNames.check())
    }
}

import BMSGate

enum CanonicalAlarmNames {
    static func check() -> Bool {
        CanonicalAlarm.fromDriver(UInt64(BMS_ALARM_CELL_OVERVOLTAGE.rawValue)) == [.cellOvervoltage]
            && CanonicalAlarm.fromDriver(UInt64(BMS_ALARM_INTERNAL_FAULT.rawValue)) == [.internalFault]
            && CanonicalAlarm.fromDriver(UInt64(BMS_ALARM_LOW_SOC.rawValue | BMS_ALARM_SHORT_CIRCUIT.rawValue)) == [.shortCircuit, .lowSoc]
            && CanonicalAlarm.fromDriver(1 << 40) == [.internalFault]
            // Bit 17 is the host's own duplicate_pack: a driver setting it reports internal_fault.
            && CanonicalAlarm.fromDriver(1 << 17) == [.internalFault]
            && CanonicalAlarm.allCases.count == 18
            && CanonicalAlarm.allCases.prefix(17).map(\.bit) == Array(0..<17)
            && CanonicalAlarm.communication.bit == Int(BMS_ALARM_COMMUNICATION.rawValue.trailingZeroBitCount)
    }
}
