import Foundation
import Testing

@testable import LC30

/// /api/bms/diag lists the machine's I2C buses by number, as the API document shows them.
struct LC30DiagTests {
    @Test func theMachinesBusesByNumber() throws {
        let dir = NSTemporaryDirectory() + "lc30-dev-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["i2c-7", "i2c-1", "i2c-x", "ttyS0", "i2c-10"] { _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: nil) }
        let buses = LC30Commands.i2cBuses(in: dir)
        #expect(buses.map(\.number) == [1, 7, 10] && buses.map(\.path) == ["/dev/i2c-1", "/dev/i2c-7", "/dev/i2c-10"])
        #expect(LC30Commands.busNumber("/dev/i2c-3") == 3 && LC30Commands.busNumber("sim-gauge") == nil)
    }
}
