/// Seeded, repeatable random input for fuzz tests (SplitMix64): the same seed gives the same
/// bytes on every machine, so a failure can be replayed from its seed.
public struct Fuzz: RandomNumberGenerator {
    private var state: UInt64

    /// A generator starting at `seed`.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Random bytes, 0 to `maxLength` of them.
    public mutating func bytes(maxLength: Int) -> [UInt8] {
        (0..<Int.random(in: 0...maxLength, using: &self)).map { _ in UInt8.random(in: 0...255, using: &self) }
    }

    /// `frame` with one of: a flipped bit, a byte dropped, a byte inserted, cut short.
    public mutating func mutation(of frame: [UInt8]) -> [UInt8] {
        guard !frame.isEmpty else { return bytes(maxLength: 8) }
        var f = frame
        let i = Int.random(in: 0..<f.count, using: &self)
        switch Int.random(in: 0..<4, using: &self) {
        case 0: f[i] ^= 1 << UInt8.random(in: 0...7, using: &self)
        case 1: f.remove(at: i)
        case 2: f.insert(UInt8.random(in: 0...255, using: &self), at: i)
        default: f = Array(f.prefix(i))
        }
        return f
    }
}
