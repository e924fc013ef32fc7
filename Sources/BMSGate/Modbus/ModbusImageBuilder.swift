import Foundation

/// Turns a snapshot into the register image of every bank (one unit id each), in the
/// configured map. Keeps the per-bank heartbeat: seconds counted while the bank has fresh
/// data, frozen while it has none.
public final class ModbusImageBuilder: @unchecked Sendable {
    let settings: ModbusSinkSettings
    let banks: [BankConfig]
    private var freshSeconds: [String: Double] = [:]
    private var lastTime: Date?

    /// A builder for `banks` in `settings.map`.
    public init(settings: ModbusSinkSettings, banks: [BankConfig]) {
        self.settings = settings
        self.banks = banks
    }

    /// The image of `snapshot` (call from one thread).
    public func image(_ snapshot: Snapshot) -> RegisterImage {
        let elapsed = lastTime.map { max(0, snapshot.time.timeIntervalSince($0)) } ?? 0
        lastTime = snapshot.time
        var units: [UInt8: UnitRegisters] = [:]
        for config in banks {
            guard var bank = snapshot.banks.first(where: { $0.id == config.id }) else { continue }
            if bank.state != "offline" { freshSeconds[bank.id, default: 0] += elapsed }
            let heartbeat = UInt16(truncatingIfNeeded: Int(freshSeconds[bank.id, default: 0]))
            let packs = config.packs.compactMap { id in snapshot.packs.first { $0.id == id } }
            let unit = UInt8(settings.unitId(of: config))
            bank.unitId = Int(unit)
            switch settings.map {
            case .sunspec:
                let input = SunSpecImage.Input(site: snapshot.site, bank: bank, packs: packs,
                                               reserveSoc: config.limits.reserveSoc, heartbeat: heartbeat)
                units[unit] = UnitRegisters(start: settings.base, registers: SunSpecImage.registers(input))
            case .simple:
                units[unit] = UnitRegisters(
                    start: 0, registers: SimpleRegisterMap.registers(bank: bank, packs: packs, heartbeat: heartbeat, now: snapshot.time))
            }
        }
        return RegisterImage(units: units)
    }
}
