import Foundation

/// An LFP pack as the plant models it: cells in series, each with its own capacity and state
/// of charge, an open-circuit voltage steep at both ends, and an internal resistance.
struct Battery {
    /// Each cell's capacity, Ah, and state of charge (0...1).
    var capacity: [Double]
    var soc: [Double]
    /// Internal resistance per cell, ohm.
    var resistance = 0.0008
    /// The current now, A (+ = charging).
    var current = 0.0

    /// LFP open-circuit voltage (per cell) against state of charge: flat in the middle,
    /// steep at both ends (typical datasheet curve at 25 °C).
    static let ocvTable: [(Double, Double)] = [
        (0.00, 2.50), (0.02, 2.95), (0.05, 3.12), (0.10, 3.20), (0.20, 3.25), (0.35, 3.28), (0.50, 3.29),
        (0.65, 3.30), (0.80, 3.32), (0.90, 3.33), (0.95, 3.34), (0.975, 3.37), (0.99, 3.42), (0.995, 3.48),
        (1.00, 3.60), (1.005, 3.80), (1.01, 4.10),
    ]

    static func ocv(_ soc: Double) -> Double {
        let t = ocvTable
        if soc <= t[0].0 { return t[0].1 }
        for i in 1..<t.count where soc <= t[i].0 {
            let (s0, v0) = t[i - 1], (s1, v1) = t[i]
            return v0 + (v1 - v0) * (soc - s0) / (s1 - s0)
        }
        return t[t.count - 1].1
    }

    /// Each cell's terminal voltage now.
    var cells: [Double] { soc.map { Self.ocv($0) + current * resistance } }
    var voltage: Double { cells.reduce(0, +) }
    /// The pack's SoC: the charge held over the capacity.
    var packSoc: Double { zip(soc, capacity).map { $0 * $1 }.reduce(0, +) / capacity.reduce(0, +) }

    /// Moves `seconds` of simulated time at the current `current`.
    mutating func advance(seconds: Double) {
        for i in soc.indices {
            soc[i] = min(1.01, max(0, soc[i] + current * seconds / 3600 / capacity[i]))
        }
    }
}
