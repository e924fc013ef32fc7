/// Victron's additions to the SMA set (docs/inverters.md, "victron").
enum VictronFrames {
    static func payloads(_ state: CANBatteryState, name: String) -> [CANPayload] {
        var name1 = CANPayload(0x370), name2 = CANPayload(0x371)
        let text = Array(name.utf8.prefix(16))
        name1.ascii(String(decoding: text.prefix(8), as: UTF8.self), length: 8)
        name2.ascii(String(decoding: text.dropFirst(8), as: UTF8.self), length: 8)

        var modules = CANPayload(0x372)
        modules.raw16(UInt16(clamping: state.modulesOnline))
        modules.raw16(UInt16(clamping: state.modulesBlockingCharge))
        modules.raw16(UInt16(clamping: state.modulesBlockingDischarge))
        modules.raw16(UInt16(clamping: max(0, state.modules - state.modulesOnline)))

        var cells = CANPayload(0x373)
        cells.u16(state.cellVoltageMin, scale: 0.001, "lowest cell voltage", unit: " V")
        cells.u16(state.cellVoltageMax, scale: 0.001, "highest cell voltage", unit: " V")
        cells.u16(state.temperatureMin.map { $0 + 273.15 }, scale: 1, "lowest temperature", unit: " K")
        cells.u16(state.temperatureMax.map { $0 + 273.15 }, scale: 1, "highest temperature", unit: " K")

        var capacity = CANPayload(0x379)
        capacity.u16(state.capacity, scale: 1, "installed capacity", unit: " Ah")
        return [name1, name2, modules, cells, capacity]
    }
}
