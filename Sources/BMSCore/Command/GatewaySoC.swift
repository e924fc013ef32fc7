/// A bank's state of charge counted by the gateway (`banks[].soc: gateway`), for BMSes whose
/// own SoC drifts: coulomb counting from the packs' current with a charge efficiency, set to
/// 100 % when absorption ends with the bank full, started from the BMS's SoC. A gap in the
/// readings longer than `maximumStep` is not guessed (nothing is integrated over it).
public struct GatewaySoC: Sendable, Equatable {
    /// %, nil until the first reading.
    public private(set) var value: Double?
    private var lastMs: UInt64?
    /// Ah counted in and out since the start (for people; not persisted).
    public private(set) var chargedAh = 0.0
    public private(set) var dischargedAh = 0.0

    /// The longest step integrated, s.
    public static let maximumStep = 30.0

    /// Nothing counted yet.
    public init() {}

    /// Starts from a kept value.
    public init(value: Double?) { self.value = value }

    /// Integrates `current` (A, + = charging) of a bank of `capacity` Ah up to `nowMs`;
    /// `bmsSoc` seeds the first value.
    public mutating func step(current: Double?, capacity: Double?, bmsSoc: Double?, efficiency: Double, nowMs: UInt64) {
        defer { lastMs = nowMs }
        guard let soc = value else {
            value = bmsSoc
            return
        }
        guard let current, let capacity, capacity > 0, let last = lastMs else { return }
        let seconds = Double(nowMs.saturatingAge(since: last)) / 1000
        guard seconds > 0, seconds <= Self.maximumStep else { return }
        let ah = current * seconds / 3600
        if ah > 0 { chargedAh += ah } else { dischargedAh -= ah }
        let counted = ah > 0 ? ah * efficiency : ah
        value = min(100, max(0, soc + counted / capacity * 100))
    }

    /// The bank is full (absorption ended): 100 %.
    public mutating func full() { value = 100 }
}
