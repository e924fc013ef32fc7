import Foundation

/// What a bank's charge controller keeps across restarts: its phase, when it began and the
/// last full charge (a restart in float stays in float; `full_every` counts from the last
/// full charge, not from the restart).
public struct ChargeState: Codable, Sendable, Equatable {
    /// The file format's version (a newer file is not read).
    public var version = 1
    public var phase: String
    public var phaseSince: Date?
    public var lastFullCharge: Date?
    /// The gateway's own SoC count, %.
    public var gatewaySoc: Double?

    /// A state.
    public init(phase: ChargePhase, phaseSince: Date?, lastFullCharge: Date?, gatewaySoc: Double? = nil) {
        self.phase = phase.rawValue
        self.phaseSince = phaseSince
        self.lastFullCharge = lastFullCharge
        self.gatewaySoc = gatewaySoc
    }
}

extension ChargeController {
    /// What to keep of this controller.
    public var state: ChargeState {
        ChargeState(phase: phases.phase, phaseSince: phases.phaseSince, lastFullCharge: phases.lastFullCharge, gatewaySoc: gatewaySoc.value)
    }

    /// Takes up `state` (read back at start); a phase it does not know starts in bulk.
    public mutating func restore(_ state: ChargeState) {
        phases = ChargePhaseMachine(config: config, phase: ChargePhase(rawValue: state.phase) ?? .bulk,
                                    since: state.phaseSince, lastFullCharge: state.lastFullCharge)
        gatewaySoc = GatewaySoC(value: state.gatewaySoc)
    }
}
