/// The SMA Sunny Island frame set (docs/inverters.md, "sma"); Victron reads the same frames.
enum SMAFrames {
    /// SMA's documented ranges: charge voltage 41-63 V, currents 0-1200 A, discharge voltage
    /// 41-48 V. Values outside are clamped (and logged by the sink), never sent as they are.
    static let chargeVoltageRange = 41.0...63.0
    static let currentRange = 0.0...1200.0
    static let dischargeVoltageRange = 41.0...48.0

    static func payloads(_ state: CANBatteryState, manufacturer: String, bmsVersion: UInt16, ranges: Bool) -> [CANPayload] {
        var limits = CANPayload(0x351)
        limits.u16(state.chargeVoltage, scale: 0.1, range: ranges ? chargeVoltageRange : nil, "charge voltage", unit: " V")
        limits.s16(state.chargeCurrent, scale: 0.1, range: ranges ? currentRange : 0...3276.7, "charge current", unit: " A")
        limits.s16(state.dischargeCurrent, scale: 0.1, range: ranges ? currentRange : 0...3276.7, "discharge current", unit: " A")
        limits.u16(state.dischargeVoltage, scale: 0.1, range: ranges ? dischargeVoltageRange : nil, "discharge voltage", unit: " V")

        var soc = CANPayload(0x355)
        soc.u16(state.soc, scale: 1, range: 0...100, "SoC", unit: " %")
        soc.u16(state.soh, scale: 1, range: 0...100, missing: 100, "SoH", unit: " %")
        soc.u16(state.soc, scale: 0.01, range: 0...100, missing: 0xFFFF, "SoC (high resolution)", unit: " %")

        let measured = CANPayload.measurements(state)

        var events = CANPayload(0x35A)
        for byte in alarmBytes(state) { events.u8(byte) }

        let name = CANPayload.manufacturer(manufacturer)

        var info = CANPayload(0x35F)
        info.raw16(0)  // battery type: Li-ion
        info.raw16(bmsVersion)
        info.u16(state.capacity, scale: 1, "capacity", unit: " Ah")
        info.raw16(0)
        return [limits, soc, measured, events, name, info]
    }

    /// 0x35A: 32 items as 2-bit pairs, low bit "raised", high bit "cleared" (01 raised,
    /// 10 cleared; 0xAA = all clear). Bytes 0-3 alarms, 4-7 warnings, item order:
    /// byte 0: general, high voltage, low voltage, high temperature; byte 1: low temperature,
    /// high temperature while charging, low temperature while charging, high discharge
    /// current; byte 2: high charge current, contactor, short circuit, BMS internal;
    /// byte 3: cell imbalance, then reserved. The alarm table's protections and system errors
    /// go to the alarm half; its warnings (cell imbalance) to the warning half.
    static func alarmBytes(_ s: CANBatteryState) -> [UInt8] {
        let a = s.command.alarms
        let items: [Bool] = [
            !a.of(.protection).isEmpty || a.systemError,
            a.any([.cellOvervoltage, .packOvervoltage]),
            a.any([.cellUndervoltage, .packUndervoltage]),
            a.any([.dischargeOvertemperature, .mosOvertemperature]),
            a.any([.dischargeUndertemperature]),
            a.any([.chargeOvertemperature]),
            a.any([.chargeUndertemperature]),
            a.any([.dischargeOvercurrent]),
            a.any([.chargeOvercurrent]),
            false,
            a.any([.shortCircuit]),
            a.systemError,
            false, false, false, false,
        ]
        let warning = !a.of(.warning).isEmpty
        let warnings: [Bool] = [warning] + Array(repeating: false, count: 11) + [a.any([.cellImbalance])] + Array(repeating: false, count: 3)
        return pack(items) + pack(warnings)
    }

    /// Four items per byte, item 0 in bits 0-1.
    static func pack(_ items: [Bool]) -> [UInt8] {
        stride(from: 0, to: items.count, by: 4).map { start in
            (0..<4).reduce(UInt8(0)) { byte, i in byte | ((items[start + i] ? 0b01 : 0b10) << UInt8(2 * i)) }
        }
    }
}
