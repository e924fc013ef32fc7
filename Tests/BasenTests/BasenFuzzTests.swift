import BMSDriverKit
import Testing

@testable import Basen

/// Every decoder survives arbitrary bytes: errors are thrown, never traps.
@Suite struct BasenFuzzTests {
    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func randomBytesAndMutatedFramesNeverTrap() {
        var rng = SplitMix(state: 42)
        var decoded = 0
        for round in 0..<3000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                bytes = seedInfoFrame
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
                bytes[bytes.count - 2] = BasenFrame.checksum(bytes[0..<(bytes.count - 2)])  // reach the payload decoder
            }
            if (try? BasenDriver.decode(frames: [bytes], options: DriverOptions())) != nil { decoded += 1 }
            var decoder = BasenFrameDecoder()
            var buffer = bytes
            _ = try? decoder.decode(&buffer)
            var reading = DriverReading()
            try? BasenInfo.decode(Array(bytes.dropFirst(4)), into: &reading)
        }
        #expect(decoded > 0)
    }
}
