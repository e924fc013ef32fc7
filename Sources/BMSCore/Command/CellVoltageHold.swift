/// The charge voltage that keeps the highest cell under its ceiling (`cell_voltage_max -
/// cell_margin`) whatever the charger does with the current limit.
///
/// What the highest cell may still gain is `ceiling - highest`; only that cell may be
/// rising, so the bank voltage now plus that gain is the most the charger may be told
/// (`bank voltage + ceiling - highest`, the other cells' sum plus the ceiling). The hold
/// watches from `band` under the ceiling (the start of LFP's steep end, where a cell ahead
/// of the others begins to run away):
/// - under the ceiling, the charge voltage moves down towards that value at most `rate` V a
///   second (an inverter that exports energy when the charge voltage drops in a step sees
///   no step); the band is wide enough for the ramp to arrive before the cell does;
/// - at or above the ceiling it falls at once (the cell must stop now);
/// - while it holds, it only falls (a value that rose and fell with every reading would make
///   the charger hunt); it lets go when the highest cell is `release` (50 mV) under the band
///   again: more than the cell's own drop when the hold cuts the current (its internal
///   resistance times the current: 40 mV at 50 A and 0.8 mΩ), or it would let go and take
///   hold again in turn.
public struct CellVoltageHold: Sendable, Equatable {
    /// The charge voltage the hold allows now; nil when it does not hold.
    public private(set) var value: Double?
    private var lastMs: UInt64?

    /// How far under the band the highest cell must be for the hold to let go, V.
    public static let release = 0.05

    /// A hold that does not hold.
    public init() {}

    /// The hold after a reading: the highest cell `highest` (V), the bank at `bankVoltage`,
    /// the charge voltage told now `current` (where a new hold starts ramping from).
    public mutating func step(highest: Double, bankVoltage: Double, ceiling: Double, band: Double, rate: Double,
                              current: Double, nowMs: UInt64) -> Double? {
        defer { lastMs = nowMs }
        if highest < ceiling - band - Self.release || (value == nil && highest < ceiling - band) {
            value = nil
            return nil
        }
        let wanted = max(0, ((bankVoltage + (ceiling - highest)) * 1000).rounded(.down) / 1000)
        let from = value ?? current
        if highest >= ceiling {
            value = min(from, wanted)
        } else {
            let seconds = value == nil ? 0 : Double(nowMs.subtractingReportingOverflow(lastMs ?? nowMs).partialValue) / 1000
            value = wanted >= from ? from : max(wanted, from - max(0, rate) * seconds)
        }
        return value
    }

    /// Lets go (the bank stopped: a failsafe, no cells known).
    public mutating func release() {
        value = nil
        lastMs = nil
    }
}
