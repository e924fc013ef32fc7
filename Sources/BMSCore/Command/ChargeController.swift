import Foundation

/// The one place that decides what a bank's inverters are told (`InverterCommand`), once per
/// change of the bank, with memory:
///
/// 1. **Limit rules** (`LimitCalculator`, memoryless): failsafe, maxima, taper, temperature,
///    reserve, alarms. A limit they lower falls at once.
/// 2. **Hysteresis** on what switches: discharge stays off under the reserve until the SoC
///    is 2 % above it; a direction stopped at a temperature hard limit stays off until the
///    temperature is 2 °C back inside.
/// 3. **Phases** (`ChargePhaseMachine`): bulk, absorption, float, rebulk; the charge voltage
///    moves between them at `voltageRamp`, never in a step.
/// 4. **The highest cell** (`CellVoltageHold`): from `cellHoldBand` under `cell_voltage_max -
///    cellMargin`, the charge voltage ramps down towards the bank voltage plus what the
///    highest cell may still gain (at once at the ceiling), so a charger that ignores the
///    current limit still stops short of `cell_voltage_max`.
/// 5. **Rises**: a current limit (and the charge voltage) that may rise waits `riseHold`,
///    then ramps (`RiseLimiter`). Leaving a failsafe, a limit returns at once to at most
///    where it was before it (the failsafe is a gate, not a rule).
///
/// It also resolves what the links used to decide on their own: the charge voltage when no
/// rule gives one, the discharge voltage (2.9 V per cell in series once known), the enable
/// flags, whether the limits are a failsafe, and the alarm classes. Used from the thread
/// that publishes snapshots; `nowMs` is the monotonic clock, `now` the wall clock.
public struct ChargeController: Sendable {
    /// The bank's settings.
    public let settings: InverterCommandSettings
    /// The bank's limit rules.
    public let limitsConfig: BankLimitsConfig
    /// How the bank is charged.
    public let config: ChargeConfig
    /// The most cells in series a pack of the bank has reported.
    public private(set) var seriesCells: Int?
    /// The phase machine (restored at start from the state directory).
    public var phases: ChargePhaseMachine
    private var chargeLimiter = RiseLimiter()
    private var dischargeLimiter = RiseLimiter()
    private var voltageLimiter = RiseLimiter()
    private var cellHold = CellVoltageHold()
    /// The gateway's own SoC count (kept whatever `soc:` says, shown beside the BMS's).
    public var gatewaySoc = GatewaySoC()
    /// The remote limit in force, if any (set through `Site.setRemoteLimit`).
    public var remote: RemoteLimit?
    private var reserveLatched = false
    private var chargeTemperatureLatched = false
    private var dischargeTemperatureLatched = false

    /// A controller for `bank`.
    public init(bank: BankConfig) {
        settings = bank.inverter
        limitsConfig = bank.limits
        config = bank.charge
        phases = ChargePhaseMachine(config: bank.charge)
    }

    /// The command for `bank` (aggregated, with its limits) made of `packs` (its packs' statuses).
    public mutating func command(for bank: BankStatus, packs: [PackStatus], nowMs: UInt64 = MonotonicClock.nowMs(),
                                 now: Date = Date()) -> InverterCommand {
        for pack in packs where pack.online {
            if let n = pack.reading?.cells.count, n > 0, n > seriesCells ?? 0 { seriesCells = n }
        }
        let wasFull = phases.lastFullCharge
        gatewaySoc.step(current: bank.current, capacity: bank.fullCapacity, bmsSoc: bank.soc, efficiency: config.chargeEfficiency, nowMs: nowMs)
        let limits = bank.limits
        let failsafe = limits.reasons.contains {
            $0.rule == .noData || $0.rule == .duplicatePack || ($0.rule == .packOffline && limitsConfig.failsafe == .zero)
        }
        let configuredVoltage = limits.chargeVoltage ?? settings.chargeVoltage ?? 0
        let alarms = InverterAlarms(active: Set(bank.alarms), systemError: bank.onlinePacks.isEmpty)
        guard !failsafe else {
            // The limiters keep where they were (the gate opens back to at most that) and
            // earn no rise while it is shut.
            chargeLimiter.pause(nowMs: nowMs)
            dischargeLimiter.pause(nowMs: nowMs)
            voltageLimiter.pause(nowMs: nowMs)
            cellHold.release()
            let held = voltageLimiter.output.map { min($0, configuredVoltage) } ?? configuredVoltage
            var command = InverterCommand(chargeVoltage: held, dischargeVoltage: dischargeVoltage, chargeCurrent: 0, dischargeCurrent: 0,
                                          soc: reportedSoc(bank), soh: bank.soh, phase: .stopped, reasons: limits.reasons, failsafe: true, alarms: alarms)
            command.phaseInfo = PhaseInfo(since: phases.phaseSince, lastFullCharge: phases.lastFullCharge, reason: "failsafe (\(phases.phase.rawValue) resumes with fresh data)")
            return command
        }
        if config.memoryless {
            var command = InverterCommand(chargeVoltage: configuredVoltage, dischargeVoltage: dischargeVoltage, chargeCurrent: limits.chargeCurrent,
                                          dischargeCurrent: limits.dischargeCurrent, soc: bank.soc, soh: bank.soh, phase: .bulk,
                                          reasons: limits.reasons, failsafe: false, alarms: alarms)
            command.gatewaySoc = gatewaySoc.value
            return command
        }
        var reasons = limits.reasons
        var charge = limits.chargeCurrent, discharge = limits.dischargeCurrent
        applyHysteresis(bank: bank, charge: &charge, discharge: &discharge, reasons: &reasons)

        // Phases and the charge voltage.
        let series = Double(seriesCells ?? 0)
        var voltage = configuredVoltage
        if series > 0, configuredVoltage > 0 {
            let absorptionCell = config.absorptionCellVoltage ?? (limitsConfig.chargeVoltage.map { $0 / series } ?? 3.45)
            let absorption = min(configuredVoltage, absorptionCell * series)
            let float = min(absorption, config.floatCell(absorptionCell: absorptionCell) * series)
            phases.step(bank: bank, absorptionVoltage: absorption, absorptionCell: absorptionCell, nowMs: nowMs, now: now)
            let target = phases.phase == .float ? float : absorption
            voltage = phases.rampVoltage(towards: target, nowMs: nowMs)
            // The highest cell: what it may still gain, on top of the bank voltage now.
            if let cellMax = limitsConfig.cellVoltageMax, let highest = bank.cellMax, let bankVoltage = bank.voltage {
                let ceiling = cellMax - config.cellMargin
                if let held = cellHold.step(highest: highest.volts, bankVoltage: bankVoltage, ceiling: ceiling, band: config.cellHoldBand,
                                            rate: config.cellHoldRamp, current: min(voltageLimiter.output ?? voltage, voltage), nowMs: nowMs), held < voltage {
                    voltage = held
                    reasons.append(LimitReason(rule: .cellVoltage, direction: .charge,
                                               detail: "highest cell \(LimitCalculator.format(highest.volts, 3)) V in \(highest.pack), held under \(LimitCalculator.format(ceiling, 3)) V"))
                }
            } else {
                cellHold.release()
            }
        }
        // A remote limit only lowers, until it expires.
        if let r = remote {
            if nowMs >= r.expiresMs {
                remote = nil
            } else {
                let left = "\(r.source), \((r.expiresMs - nowMs) / 1000) s left"
                if let max = r.chargeCurrent, max < charge {
                    charge = max
                    reasons.append(LimitReason(rule: .remote, direction: .charge, detail: "at most \(LimitCalculator.format(max, 1)) A (\(left))"))
                }
                if let max = r.dischargeCurrent, max < discharge {
                    discharge = max
                    reasons.append(LimitReason(rule: .remote, direction: .discharge, detail: "at most \(LimitCalculator.format(max, 1)) A (\(left))"))
                }
                if let max = r.chargeVoltage, max < voltage {
                    voltage = max
                    reasons.append(LimitReason(rule: .remote, direction: .charge, detail: "charge voltage at most \(LimitCalculator.format(max, 2)) V (\(left))"))
                }
            }
        }
        // Rises wait and ramp; falls are at once.
        let voltageRate = config.voltageRamp / 60
        voltage = voltageLimiter.step(to: voltage, nowMs: nowMs, hold: config.riseHold, rate: voltageRate)
        charge = (chargeLimiter.step(to: charge, nowMs: nowMs, hold: config.riseHold, rate: config.currentRamp * (limitsConfig.chargeCurrent ?? max(charge, 1))) * 10).rounded(.down) / 10
        discharge = (dischargeLimiter.step(to: discharge, nowMs: nowMs, hold: config.riseHold, rate: config.currentRamp * (limitsConfig.dischargeCurrent ?? max(discharge, 1))) * 10).rounded(.down) / 10
        if charge < limits.chargeCurrent, !reasons.contains(where: { $0.direction == .charge && $0.rule == .ramp }) {
            reasons.append(LimitReason(rule: .ramp, direction: .charge, detail: "rising to \(LimitCalculator.format(limits.chargeCurrent, 1)) A after a hold"))
        }
        if discharge < limits.dischargeCurrent, !reasons.contains(where: { $0.direction == .discharge && $0.rule == .ramp }) {
            reasons.append(LimitReason(rule: .ramp, direction: .discharge, detail: "rising to \(LimitCalculator.format(limits.dischargeCurrent, 1)) A after a hold"))
        }
        reasons.sort { ($0.rule.rawValue, $0.direction == .charge ? 0 : 1) < ($1.rule.rawValue, $1.direction == .charge ? 0 : 1) }
        if phases.lastFullCharge != wasFull { gatewaySoc.full() }
        var command = InverterCommand(chargeVoltage: voltage, dischargeVoltage: dischargeVoltage, chargeCurrent: charge, dischargeCurrent: discharge,
                                      soc: reportedSoc(bank), soh: bank.soh, phase: phases.phase, reasons: reasons, failsafe: false, alarms: alarms)
        command.phaseInfo = PhaseInfo(since: phases.phaseSince, lastFullCharge: phases.lastFullCharge, reason: phases.lastChange)
        command.gatewaySoc = gatewaySoc.value
        return command
    }

    /// Reserve SoC and the temperature hard limits switch a direction off; they switch it
    /// back on only past a band (2 %, 2 °C), so a value that hovers at the threshold does
    /// not toggle the inverter.
    mutating func applyHysteresis(bank: BankStatus, charge: inout Double, discharge: inout Double, reasons: inout [LimitReason]) {
        if let reserve = limitsConfig.reserveSoc, let soc = bank.soc {
            if soc <= reserve { reserveLatched = true } else if soc >= reserve + 2 { reserveLatched = false }
            if reserveLatched && discharge > 0 {
                discharge = 0
                reasons.append(LimitReason(rule: .reserveSoc, direction: .discharge,
                                           detail: "bank SoC \(LimitCalculator.format(soc, 1)) % reached the reserve \(LimitCalculator.format(reserve, 1)) %, back at \(LimitCalculator.format(reserve + 2, 1)) %"))
            }
        }
        func latch(_ window: TemperatureWindow?, _ latched: inout Bool, _ value: inout Double, _ direction: LimitDirection) {
            guard let window, let cold = bank.temperatureMin, let hot = bank.temperatureMax else { return }
            if cold <= window.min || hot >= window.max { latched = true } else if cold >= window.min + 2 && hot <= window.max - 2 { latched = false }
            if latched && value > 0 {
                value = 0
                reasons.append(LimitReason(rule: .temperature, direction: direction,
                                           detail: "stopped at a temperature limit, back 2 °C inside (\(LimitCalculator.format(window.min + 2, 1)) to \(LimitCalculator.format(window.max - 2, 1)) °C)"))
            }
        }
        latch(limitsConfig.chargeTemperature, &chargeTemperatureLatched, &charge, .charge)
        latch(limitsConfig.dischargeTemperature, &dischargeTemperatureLatched, &discharge, .discharge)
    }

    /// The SoC the inverters are told: the BMSes' (default) or the gateway's count, at most
    /// 99 % before absorption ended when `holdFullUntilAbsorbed`.
    func reportedSoc(_ bank: BankStatus) -> Double? {
        guard config.socSource == .gateway else { return bank.soc }
        guard let soc = gatewaySoc.value ?? bank.soc else { return nil }
        if config.holdFullUntilAbsorbed, phases.phase != .float { return min(soc, 99) }
        return soc
    }

    /// Configured, else 2.9 V per cell in series (LFP's usual low cut-off) once known, else 0.
    public var dischargeVoltage: Double {
        if let v = settings.dischargeVoltage { return v }
        return seriesCells.map { (Double($0) * Self.defaultCellCutoff * 1000).rounded() / 1000 } ?? 0
    }

    /// The low cut-off per cell when none is configured, V.
    public static let defaultCellCutoff = 2.9
}
