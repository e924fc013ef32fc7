/// The Pylontech LV CAN V1.2 frame set (docs/inverters.md, "pylon").
enum PylonFrames {
    /// `state` gives the values (after quirks); `enables` the state the enable bits come from
    /// (a quirk that sends "stop" as 0.1 A must not turn charging back on).
    static func payloads(_ state: CANBatteryState, enables: CANBatteryState, manufacturer: String) -> [CANPayload] {
        var limits = CANPayload(0x351)
        limits.u16(state.chargeVoltage, scale: 0.1, "charge voltage", unit: " V")
        limits.s16(state.chargeCurrent, scale: 0.1, range: 0...3276.7, "charge current", unit: " A")
        limits.s16(state.dischargeCurrent, scale: 0.1, range: 0...3276.7, "discharge current", unit: " A")
        limits.u16(state.dischargeVoltage, scale: 0.1, "discharge voltage", unit: " V")

        var soc = CANPayload(0x355)
        soc.u16(state.soc, scale: 1, range: 0...100, "SoC", unit: " %")
        soc.u16(state.soh, scale: 1, range: 0...100, missing: 100, "SoH", unit: " %")

        let measured = CANPayload.measurements(state)

        var flags = CANPayload(0x359)
        let (protection, alarm) = protectionBytes(state)
        flags.raw16(protection)
        flags.raw16(alarm)
        flags.u8(UInt8(min(255, state.modulesOnline)))
        flags.u8(0x50)  // 'P'
        flags.u8(0x4E)  // 'N'

        var request = CANPayload(0x35C)
        request.u8((enables.chargeEnabled ? 0x80 : 0) | (enables.dischargeEnabled ? 0x40 : 0))
        request.u8(0)

        let name = CANPayload.manufacturer(manufacturer)
        return [limits, soc, measured, flags, request, name]
    }

    /// 0x359 bytes 0-1 (protection) and 2-3 (alarm), as little-endian words: byte 0 bit 1
    /// over-voltage, bit 2 under-voltage, bit 3 over-temperature, bit 4 under-temperature,
    /// bit 7 discharge over-current; byte 1 bit 0 charge over-current, bit 3 system error.
    /// The command's alarms are protections (the BMS acted), so the alarm word stays 0
    /// except for a failsafe command, which is a system error in both.
    static func protectionBytes(_ s: CANBatteryState) -> (UInt16, UInt16) {
        let a = s.command.alarms
        var low: UInt8 = 0, high: UInt8 = 0
        if a.any([.cellOvervoltage, .packOvervoltage]) { low |= 0x02 }
        if a.any([.cellUndervoltage, .packUndervoltage]) { low |= 0x04 }
        if a.any([.chargeOvertemperature, .dischargeOvertemperature, .mosOvertemperature]) { low |= 0x08 }
        if a.any([.chargeUndertemperature, .dischargeUndertemperature]) { low |= 0x10 }
        if a.any([.dischargeOvercurrent, .shortCircuit]) { low |= 0x80 }
        if a.any([.chargeOvercurrent]) { high |= 0x01 }
        if a.systemError { high |= 0x08 }
        return (UInt16(high) << 8 | UInt16(low), s.failsafe ? 0x0800 : 0)
    }
}
