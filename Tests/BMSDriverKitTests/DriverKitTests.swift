import Foundation
import CBMSDriver
import Testing

@testable import BMSDriverKit

@Suite struct DriverKitTests {
    @Test func hexParsesCommonSpellings() {
        #expect(Hex.parse("7e 01 01 00 fe 0d") == [0x7e, 0x01, 0x01, 0x00, 0xfe, 0x0d])
        #expect(Hex.parse("7E0101") == [0x7e, 0x01, 0x01])
        #expect(Hex.parse("0x7e,0x01") == [0x7e, 0x01])
        #expect(Hex.parse("7e0") == nil)
        #expect(Hex.parse("zz") == nil)
        #expect(Hex.format([0x0d, 0xa0]) == "0d a0")
    }

    @Test func hexFormatsEveryByteInEitherCaseWithAnySeparator() {
        let all = (0...255).map { UInt8($0) }
        #expect(Hex.format(all, separator: "") == all.map { String(format: "%02x", $0) }.joined())
        #expect(Hex.format(all, separator: ":", uppercase: true) == all.map { String(format: "%02X", $0) }.joined(separator: ":"))
        #expect(Hex.format([UInt8]()) == "" && Hex.format([0x7e]) == "7e" && Hex.format([1, 2], separator: ", ") == "01, 02")
        #expect(Hex.parse(Hex.format(all)) == all)
    }

    @Test func alarmNamesFollowTheHeaderBits() {
        #expect(Alarms.named.count == 17)
        #expect(Alarms.cellOvervoltage.rawValue == 1)
        #expect(Alarms.internalFault.rawValue == 1 << 16)
        #expect(Alarms(name: "low_soc") == .lowSoc)
        #expect(Alarms(name: "nonsense") == nil)
        #expect(([.shortCircuit, .cellOvervoltage] as Alarms).names == ["cell_overvoltage", "short_circuit"])
    }

    @Test func optionsRejectUnknownKeysButNotHostKeys() throws {
        let options = DriverOptions([("address", "1"), ("allow_writes", "true"), ("protocol_version", "JK02")])
        #expect(options.allowWrites)
        #expect(options["protocol_version"] == "JK02")
        try options.rejectUnknown(["protocol_version"])
        #expect(throws: DriverError.invalid("unknown option 'protocol_version'")) { try options.rejectUnknown([]) }
        #expect(DriverOptions.parseInteger("0x0B") == 11)
        #expect(DriverOptions.parseInteger(" 12 ") == 12)
        #expect(DriverOptions.parseInteger("x") == nil)
    }

    @Test func readingFillsTheHostStructWithinItsCapacities() {
        var cells = [Double](repeating: 0, count: 2)
        var flags = [UInt8](repeating: 0, count: 2)
        var temps = [Double](repeating: 0, count: 4)
        var r = bms_reading()
        r.struct_size = UInt32(MemoryLayout<bms_reading>.size)
        var d = DriverReading()
        d.voltage = 13.2
        d.cells = [3.3, 3.31, 3.32]
        d.balancing = [false, true, false]
        d.temperatures = [20]
        d.alarms = [.lowSoc]
        d.chargeEnabled = true
        let status = cells.withUnsafeMutableBufferPointer { c in
            flags.withUnsafeMutableBufferPointer { f in
                temps.withUnsafeMutableBufferPointer { t in
                    r.cells = c.baseAddress
                    r.cell_flags = f.baseAddress
                    r.cells_capacity = 2
                    r.temperatures = t.baseAddress
                    r.temperatures_capacity = 4
                    return withUnsafeMutablePointer(to: &r) { CBridge.fill($0, from: d) }
                }
            }
        }
        #expect(status == BMS_ERR_BUFFER.rawValue)  // three cells, room for two: what fits is written
        #expect(r.cell_count == 2)
        #expect(cells == [3.3, 3.31])
        #expect(flags == [0, UInt8(BMS_CELL_BALANCING.rawValue)])
        #expect(r.temperature_count == 1 && temps[0] == 20)
        #expect(r.voltage == 13.2)
        #expect(r.current.isNaN)
        #expect(r.alarms == UInt64(BMS_ALARM_LOW_SOC.rawValue))
        #expect(r.charge_enabled == 1 && r.discharge_enabled == -1)
    }

    @Test func fixedCharArraysAreTruncatedSafely() {
        var id = bms_identity()
        CBridge.copy(String(repeating: "é", count: 100), into: &id.model)
        let text = withUnsafeBytes(of: id.model) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        #expect(text == String(repeating: "é", count: 31))  // 63 bytes of room, no half character
    }

    @Test func jsonQuotingEscapesControlCharacters() {
        #expect(jsonQuoted("a\"b\\c\n\u{1}") == #""a\"b\\c\n\u0001""#)
    }
}
