/// How an inverter (or a charger) answers the battery's command, as users report them.
enum InverterModel: String, CaseIterable {
    /// Follows the charge voltage and the current limit, with a 1 s lag.
    case follows
    /// Follows only the charge voltage (a DC-coupled solar charger ignoring the current limit).
    case voltageOnly = "voltage-only"
    /// Follows both, slowly (5 s lag, as users report for some hybrids).
    case slow
    /// Follows both, but pushes energy out when the charge voltage drops in one step.
    case stepExport = "step-export"

    /// The current it wants now, A (+ = into the battery), before its lag.
    func target(chargeVoltage: Double, chargeLimit: Double, batteryVoltage: Double, available: Double) -> Double {
        // A CC/CV charger: the current falls as the battery voltage nears the charge voltage.
        let cv = max(0, (chargeVoltage - batteryVoltage) * 150)
        switch self {
        case .voltageOnly: return min(available, cv)
        case .follows, .slow, .stepExport: return min(available, chargeLimit, cv)
        }
    }

    /// Its lag, s (real time).
    var lag: Double { self == .slow ? 5 : 1 }
}
