import Foundation

/// Turns a snapshot into the register image of every bank (one unit id each), in the
/// configured map. Keeps the per-bank heartbeat: seconds counted while the bank has fresh
/// data, frozen while it has none.
public final class ModbusImageBuilder: @unchecked Sendable {
    let settings: ModbusSinkSettings
    let banks: [BankConfig]
    private var freshSeconds: [String: Double] = [:]
    private var lastTime: Date?
    /// Each pack's 804 model as last encoded, with the pack's sequence and online flag: a
    /// snapshot re-encodes only the packs that changed.
    private var strings: [String: (sequence: Int, online: Bool, index: Int, registers: [UInt16])] = [:]
    /// Each bank's SunSpec registers with what they were built from (its packs' sequence and
    /// online flag, the heartbeat): a snapshot rebuilds only the banks that changed.
    private var sunspecBanks: [String: (key: [Int], heartbeat: UInt16, registers: [UInt16])] = [:]

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
        let bankByID = Dictionary(snapshot.banks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let packByID = Dictionary(snapshot.packs.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for config in banks {
            guard var bank = bankByID[config.id] else { continue }
            if bank.state != "offline" { freshSeconds[bank.id, default: 0] += elapsed }
            let heartbeat = UInt16(truncatingIfNeeded: Int(freshSeconds[bank.id, default: 0]))
            let packs = config.packs.compactMap { packByID[$0] }
            let unit = UInt8(settings.unitId(of: config))
            bank.unitId = Int(unit)
            switch settings.map {
            case .sunspec:
                let key = packs.map { $0.sequence &* 2 &+ ($0.online ? 1 : 0) }
                if let cached = sunspecBanks[bank.id], cached.key == key, cached.heartbeat == heartbeat {
                    units[unit] = UnitRegisters(start: settings.base, registers: cached.registers)
                    continue
                }
                let input = SunSpecImage.Input(site: snapshot.site, bank: bank, packs: packs,
                                               reserveSoc: config.limits.reserveSoc, heartbeat: heartbeat)
                let encoded = packs.enumerated().map { i, pack -> [UInt16] in
                    if let cached = strings[pack.id], cached.sequence == pack.sequence, cached.online == pack.online, cached.index == i + 1 {
                        return cached.registers
                    }
                    let registers = SunSpecImage.string(pack, index: i + 1)
                    strings[pack.id] = (pack.sequence, pack.online, i + 1, registers)
                    return registers
                }
                let registers = SunSpecImage.registers(input, strings: encoded)
                sunspecBanks[bank.id] = (key, heartbeat, registers)
                units[unit] = UnitRegisters(start: settings.base, registers: registers)
            case .simple:
                units[unit] = UnitRegisters(
                    start: 0, registers: SimpleRegisterMap.registers(bank: bank, packs: packs, heartbeat: heartbeat, now: snapshot.time))
            }
        }
        return RegisterImage(units: units)
    }
}
