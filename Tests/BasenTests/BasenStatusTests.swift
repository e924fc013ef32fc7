import Foundation
import BMSDriverKit
import Testing

@testable import Basen

@Suite struct BasenStatusTests {
    /// The seed frame with a status bitmask spliced in (payload bytes 62...71).
    func frame(status: [UInt8]) -> [UInt8] {
        var f = seedInfoFrame
        let start = 4 + 62  // header + offset of the 10 status bytes in the payload
        for (i, b) in status.enumerated() { f[start + i] = b }
        f[f.count - 2] = BasenFrame.checksum(f[0..<(f.count - 2)])
        return f
    }

    @Test func alarmsMapToCanonicalNamesAndErrorBitmask() throws {
        var status = [UInt8](repeating: 0, count: 10)
        status[9] = 0x01 | 0x10  // Cell_Over_VOL_Alarm, CHG_Over_CUR_Alarm
        status[3] = 0x01  // Charging
        status[8] = 0x10  // Vol_DIF_Alarm
        let (r, _) = try BasenDriver.decode(frames: [frame(status: status)], options: DriverOptions())
        #expect(r.status == ["Charging", "Vol_DIF_Alarm", "Cell_Over_VOL_Alarm", "CHG_Over_CUR_Alarm"])
        #expect(r.alarms == [.cellOvervoltage, .chargeOvercurrent, .cellImbalance])
        #expect(r.alarms.names == ["cell_overvoltage", "charge_overcurrent", "cell_imbalance"])
        #expect(r.extra("error_bitmask") == .number(Double(0x0002 | 0x0100 | 0x1000)))
        #expect(r.extra("alarm") == .number(1))
        #expect(r.extra("fault") == .number(0))
        #expect(r.extra("status_bitmask") == .text("00:00:00:01:00:00:00:00:10:11"))
    }

    /// The report a poll takes (one look at the bits) says what the single questions say.
    @Test func theReportAgreesWithEachQuestion() {
        var rng = SystemRandomNumberGenerator()
        for round in 0..<500 {
            let bytes = (0..<10).map { _ in round % 5 == 0 ? 0 : UInt8.random(in: 0...255, using: &rng) & UInt8.random(in: 0...255, using: &rng) }
            let status = BasenStatus(bytes: bytes)
            let report = status.report
            #expect(report.texts == status.texts && report.alarms == status.alarms && report.errorBitmask == status.errorBitmask)
            #expect(report.alarm == status.alarm && report.fault == status.fault && report.summary == status.summary)
            #expect(report.summary == (status.texts.isEmpty ? "Idle" : status.texts.joined(separator: ", ")))
            #expect(status.bitmaskText == bytes.map { String(format: "%02X", $0) }.joined(separator: ":"))
        }
    }

    @Test func faultsSetTheFaultFlag() throws {
        var status = [UInt8](repeating: 0, count: 10)
        status[3] = 0x04  // Short Circuit Protection
        status[1] = 0x01  // NTC disconnection
        let (r, _) = try BasenDriver.decode(frames: [frame(status: status)], options: DriverOptions())
        #expect(r.alarms == [.shortCircuit, .sensorFault])
        #expect(r.extra("fault") == .number(1))
        #expect(r.extra("error_bitmask") == .number(Double(0x0400 | 0x0800)))
    }

    /// The status bits that say a MOSFET is off reach charge_enabled / discharge_enabled,
    /// so the limit rules see a pack that stopped charging by itself (hardening issue).
    @Test func mosfetStateFollowsTheStatusBits() throws {
        func switches(_ byte: Int, _ mask: UInt8) throws -> (Bool?, Bool?) {
            var status = [UInt8](repeating: 0, count: 10)
            status[byte] = mask
            let (r, _) = try BasenDriver.decode(frames: [frame(status: status)], options: DriverOptions())
            return (r.chargeEnabled, r.dischargeEnabled)
        }
        #expect(try switches(3, 0x01) == (true, true))      // Charging: both on
        #expect(try switches(5, 0x02) == (false, true))     // Manual_CHG_MOS_Off
        #expect(try switches(5, 0x08) == (true, false))     // Manual_DISC_MOS_Off
        #expect(try switches(0, 0x20) == (false, true))     // Charge MOS fault
        #expect(try switches(0, 0x40) == (true, false))     // Dischare MOS fault
        #expect(try switches(3, 0x40) == (false, true))     // CHG_OV_TEMP_Protection
        #expect(try switches(4, 0x10) == (true, false))     // SOC Low protect
        #expect(try switches(3, 0x04) == (false, false))    // Short Circuit Protection
        #expect(try switches(9, 0x01) == (true, true))      // Cell_Over_VOL_Alarm: a warning, MOSFETs stay on
    }

    @Test func balancingFlagIsBit15OfACell() throws {
        var f = seedInfoFrame
        f[6] |= 0x80  // cell 1
        f[6 + 2 * 15] |= 0x80  // cell 16
        f[f.count - 2] = BasenFrame.checksum(f[0..<(f.count - 2)])
        let (r, _) = try BasenDriver.decode(frames: [f], options: DriverOptions())
        #expect(r.cells == seedCells)
        #expect(r.balancing.enumerated().filter(\.element).map(\.offset) == [0, 15])
    }

    @Test func chargingAndDischargingCurrentSigns() throws {
        var reading = DriverReading()
        let charging = BasenInfo.encode(cellsMv: [3300], balancing: [], currentCentiAmps: 1250, socCenti: 5000,
                                        capacityCentiAh: 10000, cellTemps: [-5], mosTemp: 30, ambientTemp: -10,
                                        status: [UInt8](repeating: 0, count: 10), cycles: 1, voltageCenti: 330,
                                        sohCenti: 9900, tail: [])
        try BasenInfo.decode(charging, into: &reading)
        #expect(reading.current == 12.5)
        #expect(reading.temperatures == [-5])
        #expect(reading.ambientTemperature == -10)
        let discharging = BasenInfo.encode(cellsMv: [3300], balancing: [], currentCentiAmps: -2000, socCenti: 5000,
                                           capacityCentiAh: 10000, cellTemps: [20], mosTemp: 30, ambientTemp: 20,
                                           status: [UInt8](repeating: 0, count: 10), cycles: 1, voltageCenti: 330,
                                           sohCenti: 9900, tail: [])
        try BasenInfo.decode(discharging, into: &reading)
        #expect(reading.current == -20)
        #expect(reading.power == -66)
    }

    @Test func errorAnswerIsADeviceError() {
        let answer = BasenFrame(address: 1, command: 0x01, data: [0x04]).encoded
        #expect(throws: DriverError.device("frame 1: device answered invalid command")) {
            try BasenDriver.decode(frames: [answer], options: DriverOptions())
        }
    }

    @Test func versionBarcodeAndParametersDecode() throws {
        let version = BasenFrame(address: 1, command: 0x33, data: Array("HY-CW007-B200LT55-V1.0.0".utf8)).encoded
        let barcode = BasenFrame(address: 1, command: 0x42, data: Array("BG48280-2024-0001".utf8) + [0, 0]).encoded
        let protection = BasenFrame(address: 1, command: 0x43, data: BasenParameters.encode(BasenEmulator.protectionRaw)).encoded
        let alarm = BasenFrame(address: 1, command: 0x43, data: BasenParameters.encode(BasenEmulator.alarmRaw)).encoded
        let (r, id) = try BasenDriver.decode(frames: [version, barcode, protection, alarm, seedInfoFrame], options: DriverOptions())
        #expect(id.firmware == "HY-CW007-B200LT55-V1.0.0")
        #expect(id.model == "HY-CW007-B200LT55")
        #expect(id.serial == "BG48280-2024-0001")
        #expect(id.manufacturer == "Basen")
        #expect(r.extra("cell_ov_start") == .number(3.65))
        #expect(r.extra("pack_ov_start") == .number(58.4))
        #expect(r.extra("chg_ot_start") == .number(60))
        #expect(r.extra("sleep_time") == .number(60))
        #expect(r.extra("cell_ov_start_alarm") == .number(3.6))
        #expect(r.extra("vol_diff_start_alarm") == .number(0.15))
        #expect(r.extra("env_ut_stop_alarm") == .number(-10))
        expectSeedValues(r)
    }

    @Test func emulatorControlSilencesAndRaisesAlarms() throws {
        let e = try BasenEmulator(options: DriverOptions([("addresses", "1,2")]))
        #expect(e.control("silence 2").hasPrefix("ok"))
        #expect(e.exchange(BasenFrame.request(address: 2, command: 1)).isEmpty)
        #expect(!e.exchange(BasenFrame.request(address: 1, command: 1)).isEmpty)
        #expect(e.control("answer 2").hasPrefix("ok"))
        #expect(e.control("alarm 2 cell_overvoltage") == "ok: address 2 raised Cell_Over_VOL_Alarm")
        #expect(e.control("set 2 soc=42.5 current=-3 drift=off").hasPrefix("ok"))
        let answer = e.exchange(BasenFrame.request(address: 2, command: 1))
        let (r, _) = try BasenDriver.decode(frames: [answer], options: DriverOptions())
        #expect(r.soc == 42.5)
        #expect(r.current == -3)
        #expect(r.alarms == [.cellOvervoltage])
        #expect(e.control("set 9 soc=1").hasPrefix("error"))
        #expect(e.control("set 1 bogus=1").hasPrefix("error"))
        #expect(e.control("frobnicate 1").hasPrefix("error"))
    }

    @Test func emulatorRefusesUnknownCommands() throws {
        let e = try BasenEmulator(options: DriverOptions([("addresses", "3")]))
        let answer = e.exchange(BasenFrame.request(address: 3, command: 0x77))
        #expect(try BasenFrame.parse(answer).data == [0x04])
    }
}
