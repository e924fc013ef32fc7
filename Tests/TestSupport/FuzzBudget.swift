import Foundation

/// How long fuzz targets run and from which seed: `make test` gives each target a second,
/// `make fuzz` a minute (`BMSGATE_FUZZ_SECONDS`). The seed is printed; set
/// `BMSGATE_FUZZ_SEED` to replay a failure exactly.
public enum FuzzBudget {
    /// Seconds per target: BMSGATE_FUZZ_SECONDS, else 1.
    public static var seconds: Double {
        ProcessInfo.processInfo.environment["BMSGATE_FUZZ_SECONDS"].flatMap(Double.init) ?? 1
    }

    /// BMSGATE_FUZZ_SEED (decimal or 0x hex), else a fresh seed from the clock.
    public static var seed: UInt64 {
        if let text = ProcessInfo.processInfo.environment["BMSGATE_FUZZ_SEED"] {
            if text.hasPrefix("0x"), let v = UInt64(text.dropFirst(2), radix: 16) { return v }
            if let v = UInt64(text) { return v }
        }
        return UInt64(DispatchTime.now().uptimeNanoseconds) ^ 0x5DEE_CE66_D1CE_5EED
    }

    /// Runs `body(rng, round)` until the budget is spent, and at least `minimumRounds`
    /// times; prints the target, rounds and seed. Returns the rounds run.
    @discardableResult
    public static func run(_ name: String, minimumRounds: Int = 300, _ body: (inout Fuzz, Int) throws -> Void) rethrows -> Int {
        let seed = seed
        var rng = Fuzz(seed: seed)
        let start = DispatchTime.now().uptimeNanoseconds
        let budget = UInt64(seconds * 1e9)
        var round = 0
        while round < minimumRounds || DispatchTime.now().uptimeNanoseconds - start < budget {
            try body(&rng, round)
            round += 1
        }
        print("fuzz \(name): \(round) rounds in \(String(format: "%.1f", Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)) s, BMSGATE_FUZZ_SEED=0x\(String(seed, radix: 16))")
        return round
    }
}
