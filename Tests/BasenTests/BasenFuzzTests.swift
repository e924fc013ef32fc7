import BMSDriverKit
import Testing
import BMSGateTestSupport

@testable import Basen

/// Every decoder survives arbitrary bytes: errors are thrown, never traps.
@Suite struct BasenFuzzTests {
    @Test func randomBytesAndMutatedFramesNeverTrap() {
        var decoded = 0
        FuzzBudget.run("basen frames") { rng, round in
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = rng.bytes(maxLength: 200)
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
