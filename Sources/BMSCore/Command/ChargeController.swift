/// The one place that decides what a bank's inverters are told (`InverterCommand`), once per
/// change of the bank. It starts from the limit rules (`LimitCalculator`: failsafe, maxima,
/// taper, temperature, reserve, alarms) and resolves what the links used to decide on their
/// own: the charge voltage when no rule gives one, the discharge voltage, the enable flags,
/// whether the limits are a failsafe, and the alarm classes. It keeps what it learned across
/// snapshots (the cells in series, so the discharge voltage does not vanish with the data).
/// Used from the thread that publishes snapshots.
public struct ChargeController: Sendable {
    /// The bank's settings.
    public let settings: InverterCommandSettings
    /// What the bank does with a stale pack.
    public let failsafeMode: Failsafe
    /// The most cells in series a pack of the bank has reported.
    public private(set) var seriesCells: Int?

    /// A controller for `bank`.
    public init(bank: BankConfig) {
        settings = bank.inverter
        failsafeMode = bank.limits.failsafe
    }

    /// The command for `bank` (aggregated, with its limits) made of `packs` (its packs' statuses).
    public mutating func command(for bank: BankStatus, packs: [PackStatus]) -> InverterCommand {
        for pack in packs where pack.online {
            if let n = pack.reading?.cells.count, n > 0, n > seriesCells ?? 0 { seriesCells = n }
        }
        let limits = bank.limits
        let failsafe = limits.reasons.contains {
            $0.rule == .noData || $0.rule == .duplicatePack || ($0.rule == .packOffline && failsafeMode == .zero)
        }
        return InverterCommand(
            chargeVoltage: limits.chargeVoltage ?? settings.chargeVoltage ?? 0,
            dischargeVoltage: dischargeVoltage,
            chargeCurrent: limits.chargeCurrent, dischargeCurrent: limits.dischargeCurrent,
            soc: bank.soc, soh: bank.soh, phase: failsafe ? .stopped : .bulk, reasons: limits.reasons, failsafe: failsafe,
            alarms: InverterAlarms(active: Set(bank.alarms), systemError: bank.onlinePacks.isEmpty))
    }

    /// Configured, else 2.9 V per cell in series (LFP's usual low cut-off) once known, else 0.
    public var dischargeVoltage: Double {
        if let v = settings.dischargeVoltage { return v }
        return seriesCells.map { (Double($0) * Self.defaultCellCutoff * 1000).rounded() / 1000 } ?? 0
    }

    /// The low cut-off per cell when none is configured, V.
    public static let defaultCellCutoff = 2.9
}
