import Foundation

/// What the gateway tells an inverter about one bank, decided in one place (the bank's
/// `ChargeController`) once per snapshot. Every inverter link (Modbus-TCP, CAN, Pylontech
/// RS485) only encodes it: none computes a limit, a fallback, a stall rule or an alarm
/// class of its own, so every link says the same numbers.
public struct InverterCommand: Sendable, Equatable {
    /// Charge voltage limit, V (0 when nothing gives one: no charge then).
    public var chargeVoltage: Double
    /// The inverter's low cut-off, V (0 when unknown).
    public var dischargeVoltage: Double
    /// Charge current limit, A (>= 0; 0 = stop).
    public var chargeCurrent: Double
    /// Discharge current limit, A (>= 0; 0 = stop).
    public var dischargeCurrent: Double
    /// Whether the inverter may charge (a limit above 0 A and no failsafe).
    public var chargeEnabled: Bool
    /// Whether the inverter may discharge.
    public var dischargeEnabled: Bool
    /// Asks the inverter to charge the bank from any source (bank too low to wait for the sun).
    public var forceCharge: Bool
    /// SoC and SoH to report, %.
    public var soc: Double?
    public var soh: Double?
    /// The charge phase the controller is in.
    public var phase: ChargePhase
    /// When the phase began, when the bank was last full, and why the phase last changed.
    public var phaseInfo = PhaseInfo()
    /// The gateway's own SoC count, %, beside the BMSes' (`soc`, unless `soc: gateway`).
    public var gatewaySoc: Double?
    /// Every rule that lowered a limit.
    public var reasons: [LimitReason]
    /// True when the limits are the failsafe's (no data, a stale pack under
    /// `failsafe: zero`, a duplicate pack, or the gateway itself stalled), not a measurement's.
    public var failsafe: Bool
    /// The bank's active alarms, as the alarm table classes them for the inverter.
    public var alarms: InverterAlarms

    /// A command given field by field; the enable flags follow the currents and the failsafe.
    public init(chargeVoltage: Double, dischargeVoltage: Double, chargeCurrent: Double, dischargeCurrent: Double,
                forceCharge: Bool = false, soc: Double? = nil, soh: Double? = nil, phase: ChargePhase = .bulk,
                reasons: [LimitReason] = [], failsafe: Bool = false, alarms: InverterAlarms = InverterAlarms()) {
        self.chargeVoltage = max(0, chargeVoltage)
        self.dischargeVoltage = max(0, dischargeVoltage)
        self.chargeCurrent = max(0, chargeCurrent)
        self.dischargeCurrent = max(0, dischargeCurrent)
        chargeEnabled = self.chargeCurrent > 0 && !failsafe
        dischargeEnabled = self.dischargeCurrent > 0 && !failsafe
        self.forceCharge = forceCharge && chargeEnabled
        self.soc = soc
        self.soh = soh
        self.phase = phase
        self.reasons = reasons
        self.failsafe = failsafe
        self.alarms = alarms
    }

    /// This command with both currents at 0 A and nothing enabled: the last word at
    /// shutdown. Voltages, SoC and alarms stay.
    public var stopped: InverterCommand {
        var c = self
        c.chargeCurrent = 0
        c.dischargeCurrent = 0
        c.chargeEnabled = false
        c.dischargeEnabled = false
        c.forceCharge = false
        return c
    }

    /// The command's limits in the limit rules' type (maps and documents that show them).
    public var limits: ChargeLimits {
        ChargeLimits(chargeVoltage: chargeVoltage > 0 ? chargeVoltage : nil, chargeCurrent: chargeEnabled ? chargeCurrent : 0,
                     dischargeCurrent: dischargeEnabled ? dischargeCurrent : 0, reasons: reasons)
    }

    /// True when `rule` lowered a limit (either direction).
    public func limited(by rule: LimitRule) -> Bool { reasons.contains { $0.rule == rule } }

    /// The one stall rule of every link: a command older than this (the bank's
    /// `stale_after` plus one second) means the gateway stopped producing commands, and the
    /// link says `gatewayStalled` instead. CAN says it with its next frame set (within one
    /// period), Pylontech RS485 in its next answer, Modbus-TCP in the next read.
    public static func maximumAge(staleAfter: Duration) -> Duration { staleAfter + .seconds(1) }

    /// What a link says when the gateway stopped producing commands (or before the first
    /// one): 0 A both ways, nothing enabled, a system error, the voltages kept.
    public var gatewayStalled: InverterCommand {
        var c = stopped
        c.failsafe = true
        c.phase = .stopped
        c.alarms.systemError = true
        c.reasons = [LimitReason(rule: .noData, direction: .charge, detail: "the gateway produced no command in time"),
                     LimitReason(rule: .noData, direction: .discharge, detail: "the gateway produced no command in time")]
        return c
    }

    /// The command before the gateway knows anything: 0 A both ways; the charge voltage the
    /// bank's configuration gives (its `charge_voltage` limit, else the fallback), the
    /// configured discharge voltage.
    public static func noData(_ bank: BankConfig) -> InverterCommand {
        InverterCommand(chargeVoltage: bank.limits.chargeVoltage ?? bank.inverter.chargeVoltage ?? 0,
                        dischargeVoltage: bank.inverter.dischargeVoltage ?? 0,
                        chargeCurrent: 0, dischargeCurrent: 0, phase: .stopped, failsafe: true,
                        alarms: InverterAlarms(active: [], systemError: true)).gatewayStalled
    }

    /// No bank at all: 0 V, 0 A.
    public static let none = InverterCommand(chargeVoltage: 0, dischargeVoltage: 0, chargeCurrent: 0, dischargeCurrent: 0,
                                             phase: .stopped, failsafe: true, alarms: InverterAlarms(active: [], systemError: true))
}

/// Where a bank's charge phase stands, for people and dashboards.
public struct PhaseInfo: Sendable, Equatable {
    /// When the phase began (wall clock).
    public var since: Date?
    /// When absorption last ended with the bank full (wall clock).
    public var lastFullCharge: Date?
    /// Why the phase last changed ("the bank reached 55.20 V", "restored", ...).
    public var reason = ""

    /// Nothing known.
    public init(since: Date? = nil, lastFullCharge: Date? = nil, reason: String = "") {
        self.since = since
        self.lastFullCharge = lastFullCharge
        self.reason = reason
    }
}

/// The controller's charge phase.
public enum ChargePhase: String, Sendable, Equatable, CaseIterable {
    /// Charging at the full current limit towards the absorption voltage.
    case bulk
    /// Holding the absorption voltage until the cells are full and balanced.
    case absorption
    /// Holding the lower float voltage.
    case float
    /// No command can charge: no data, a failsafe, a stall.
    case stopped
}

/// The bank's alarms as the inverter links report them, classed by the one alarm table.
public struct InverterAlarms: Sendable, Equatable {
    /// Every active alarm.
    public var active: Set<CanonicalAlarm>
    /// The battery cannot vouch for its data: no fresh data, a stall, or an alarm whose
    /// class is `systemError` (a fault, a lost or duplicated pack).
    public var systemError: Bool

    /// Alarms with `active` and the system-error flag derived from them (or forced).
    public init(active: Set<CanonicalAlarm> = [], systemError: Bool = false) {
        self.active = active
        self.systemError = systemError || active.contains { $0.inverterClass.severity == .systemError }
    }

    /// Active alarms of `severity`.
    public func of(_ severity: AlarmClass.Severity) -> Set<CanonicalAlarm> {
        active.filter { $0.inverterClass.severity == severity }
    }

    /// True when any of `alarms` is active.
    public func any(_ alarms: Set<CanonicalAlarm>) -> Bool { !active.isDisjoint(with: alarms) }
}

/// The bank's settings for what its inverters are told beyond the limit rules.
public struct InverterCommandSettings: Sendable, Equatable {
    /// Charge voltage when no rule gives one (no `charge_voltage`, no pack or BMS limit, no
    /// `cell_voltage_max`), V.
    public var chargeVoltage: Double?
    /// The inverter's low cut-off, V; nil: 2.9 V per cell in series once a pack has reported
    /// its cells (0 before).
    public var dischargeVoltage: Double?

    /// Nothing configured.
    public init() {}
}
