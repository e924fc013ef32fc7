import Foundation

/// A bank's charge phase and what moves it: bulk → absorption → float → (rebulk) → bulk.
///
/// - **Absorption** begins when the bank first reaches the absorption voltage, or its
///   highest cell reaches the absorption voltage per cell. It ends when the cell spread has
///   stayed under `absorptionSpread` and the charge current under the tail current for
///   `absorptionHold` (a full charge), or after `absorptionMax` in any case.
/// - **Float** holds the float voltage, reached by ramping (`rampVoltage`).
/// - **Rebulk** (back to bulk) when the SoC falls under `rebulkSoc`, the lowest cell under
///   `rebulkCellVoltage`, or the last full charge is older than `fullEvery`. The SoC and
///   cell rules arm only once the value was 3 % / 50 mV above its threshold in float, so a
///   value that hovers at it does not send the bank around again and again.
public struct ChargePhaseMachine: Sendable, Equatable {
    public let config: ChargeConfig
    /// The phase now (never `stopped`: that is the command's word for a failsafe).
    public private(set) var phase: ChargePhase = .bulk
    /// When the phase began (wall clock, kept across restarts).
    public private(set) var phaseSince: Date?
    /// When absorption last ended with the bank full (wall clock, kept across restarts).
    public private(set) var lastFullCharge: Date?
    /// Why the phase last changed.
    public private(set) var lastChange = "start"
    private var phaseSinceMs: UInt64?
    private var balancedSinceMs: UInt64?
    private var socArmed = false
    private var cellArmed = false
    /// The charge voltage as ramped so far, V.
    private var rampedVoltage: Double?
    private var rampedAtMs: UInt64?

    /// A machine in bulk.
    public init(config: ChargeConfig) { self.config = config }

    /// A machine restored to `phase` (begun `since`) with its last full charge.
    public init(config: ChargeConfig, phase: ChargePhase, since: Date?, lastFullCharge: Date?) {
        self.config = config
        self.phase = phase == .stopped ? .bulk : phase
        phaseSince = since
        self.lastFullCharge = lastFullCharge
        lastChange = "restored"
    }

    /// How long the phase has lasted at `now`, s.
    public func phaseSeconds(now: Date) -> Double? { phaseSince.map { max(0, now.timeIntervalSince($0)) } }

    /// Advances with the bank's state.
    public mutating func step(bank: BankStatus, absorptionVoltage: Double, absorptionCell: Double, nowMs: UInt64, now: Date) {
        if phaseSince == nil { phaseSince = now }
        if phaseSinceMs == nil { phaseSinceMs = nowMs }
        let highest = bank.cellMax?.volts, lowest = bank.cellMin?.volts
        switch phase {
        case .bulk, .stopped:
            if let v = bank.voltage, v >= absorptionVoltage - 0.0005 {
                enter(.absorption, "the bank reached \(format(absorptionVoltage, 2)) V", nowMs: nowMs, now: now)
            } else if let h = highest, h >= absorptionCell - 0.0005 {
                enter(.absorption, "the highest cell reached \(format(absorptionCell, 3)) V", nowMs: nowMs, now: now)
            }
        case .absorption:
            let spread = highest.flatMap { h in lowest.map { h - $0 } }
            let tail = config.tailCurrent ?? max(0.5, 0.02 * (bank.fullCapacity ?? 25))
            let balanced = spread.map { $0 <= config.absorptionSpread } == true && (bank.current ?? .infinity) <= tail
            if balanced {
                if balancedSinceMs == nil { balancedSinceMs = nowMs }
            } else {
                balancedSinceMs = nil
            }
            if let since = balancedSinceMs, nowMs.saturatingAge(since: since) >= UInt64(config.absorptionHold.milliseconds) {
                lastFullCharge = now
                enter(.float, "full: cells within \(format(config.absorptionSpread * 1000, 0)) mV and under \(format(tail, 1)) A for \(Int(config.absorptionHold.milliseconds / 1000)) s",
                      nowMs: nowMs, now: now)
            } else if let since = phaseSinceMs, nowMs.saturatingAge(since: since) >= UInt64(config.absorptionMax.milliseconds) {
                lastFullCharge = now
                enter(.float, "absorption_max (\(Int(config.absorptionMax.milliseconds / 1000)) s) reached", nowMs: nowMs, now: now)
            }
        case .float:
            if let soc = bank.soc {
                if soc >= config.rebulkSoc + 3 { socArmed = true }
                if socArmed && soc < config.rebulkSoc {
                    enter(.bulk, "SoC \(format(soc, 1)) % under \(format(config.rebulkSoc, 1)) %", nowMs: nowMs, now: now)
                    return
                }
            }
            if let low = lowest {
                if low >= config.rebulkCellVoltage + 0.05 { cellArmed = true }
                if cellArmed && low < config.rebulkCellVoltage {
                    enter(.bulk, "lowest cell \(format(low, 3)) V under \(format(config.rebulkCellVoltage, 3)) V", nowMs: nowMs, now: now)
                    return
                }
            }
            if let every = config.fullEvery, let full = lastFullCharge, now.timeIntervalSince(full) >= Double(every.milliseconds) / 1000 {
                enter(.bulk, "the last full charge is \(Int(now.timeIntervalSince(full) / 86400)) days old (full_every)", nowMs: nowMs, now: now)
            }
        }
    }

    /// The charge voltage on its way to `target`: moves at most `voltageRamp` V per minute,
    /// both ways (float is reached by a ramp, never a step).
    public mutating func rampVoltage(towards target: Double, nowMs: UInt64) -> Double {
        defer { rampedAtMs = nowMs }
        guard let from = rampedVoltage, let at = rampedAtMs else {
            rampedVoltage = target
            return target
        }
        let step = config.voltageRamp / 60 * Double(nowMs.saturatingAge(since: at)) / 1000
        let next = target > from ? min(target, from + step) : max(target, from - step)
        rampedVoltage = next
        return next
    }

    private mutating func enter(_ next: ChargePhase, _ why: String, nowMs: UInt64, now: Date) {
        phase = next
        phaseSince = now
        phaseSinceMs = nowMs
        balancedSinceMs = nil
        socArmed = false
        cellArmed = false
        lastChange = why
    }

    private func format(_ v: Double, _ digits: Int) -> String { LimitCalculator.format(v, digits) }
}
