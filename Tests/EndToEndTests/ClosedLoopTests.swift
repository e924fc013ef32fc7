import Foundation
import Testing

/// The short closed-loop scenario (`bmsgate-plant --scenarios top-of-charge`): the real
/// gateway polls a Basen emulator fed by the plant's battery model and talks CAN (SLCAN over
/// a socat pty pair, read on the inverter's side by python-can's slcan interface) to a
/// charger that follows only the charge voltage. The highest cell
/// must stay within 20 mV of `cell_voltage_max` (3.60 V) and the bank must reach absorption.
/// Before charge control the same charger pushed a cell past 4.1 V (the README's table).
@Suite(.serialized) struct ClosedLoopTests {
    @Test func aChargerThatIgnoresTheCurrentLimitStillStopsShortOfTheCellLimit() throws {
        let plant = TestTools.binDir + "/bmsgate-plant"
        guard FileManager.default.isExecutableFile(atPath: plant) else {
            Issue.record("\(plant) is missing: run make test (it builds every product)")
            return
        }
        let dir = try TestTools.tempDir("closed-loop")
        // Through sh with the output in a file: the plant's helpers (gateway, emulator,
        // socat) must not hold the test's pipe open.
        let command = "'\(plant)' --scenarios top-of-charge --inverters voltage-only --rules controller --seconds 60 --python-can '\(TestTools.python)' --json '\(dir)/plant.json' > '\(dir)/plant.log' 2>&1"
        let r = try TestTools.run("/bin/sh", ["-c", command], timeout: 150)
        let log = (try? String(contentsOfFile: dir + "/plant.log", encoding: .utf8)) ?? ""
        #expect(r.status == 0, "\(log.suffix(1500))")
        print(log.split(separator: "\n").filter { $0.hasPrefix("|") }.joined(separator: "\n"))
        let rows = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/plant.json")))) as? [[String: Any]] ?? []
        let row = try #require(rows.first, "no result: \(log.suffix(1500))")
        let highest = row["highest_cell"] as? Double ?? 99
        #expect(highest <= 3.60 + 0.02, "the highest cell reached \(highest) V")
        #expect(highest > 3.40, "the charger did charge (\(highest) V)")
        #expect(["absorption", "float"].contains(row["last_phase"] as? String ?? ""), "\(row)")
        #expect(row["inverter"] as? String == "voltage-only (python-can)", "\(row)")
    }
}
