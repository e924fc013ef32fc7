import BMSCore
import Foundation
import Testing

/// The direct writer and the tree must say the same thing, byte for byte, and both must say
/// what DESIGN.md's Reading JSON says.
@Suite struct JSONWriterTests {
    func fullReading() -> Reading {
        var r = Reading(pack: "rack \"1\"", driver: "jk-bms", time: Date(timeIntervalSince1970: 1_790_000_000.007))
        r.voltage = 53.2
        r.current = -12.5
        r.power = -665
        r.soc = 87
        r.soh = 99.5
        r.remainingCapacity = 243.6
        r.fullCapacity = 280
        r.cycles = 12
        r.cells = [3.325, 3.326, 3.324]
        r.temperatures = [21.5, .nan]
        r.mosTemperature = 30
        r.ambientTemperature = -4.25
        r.balancing = [1, 3]
        r.chargeEnabled = true
        r.dischargeEnabled = false
        r.alarms = [.cellOvervoltage, .lowSoc]
        r.status = ["charging", "tab\there"]
        r.identity.model = "BMS\n2"
        r.identity.serial = "\\x01"
        r.extras = [("a", .number(1e20)), ("b", .text("\u{1}")), ("a", .number(2))]
        return r
    }

    @Test func everyFieldEscapeAndRepeatedExtraAsTheGoldenLine() {
        let r = fullReading()
        let golden = #"{"pack":"rack \"1\"","driver":"jk-bms","time":"2026-09-21T14:13:20.007Z","online":false,"voltage":53.2,"current":-12.5,"power":-665,"soc":87,"soh":99.5,"remaining_capacity":243.6,"full_capacity":280,"cycles":12,"cells":[3.325,3.326,3.324],"cell_min":3.324,"cell_max":3.326,"cell_avg":3.325,"cell_delta":0.002,"temperatures":[21.5,null],"mos_temperature":30,"ambient_temperature":-4.25,"balancing":[1,3],"charge_enabled":true,"discharge_enabled":false,"alarms":["cell_overvoltage","low_soc"],"status":["charging","tab\there"],"identity":{"model":"BMS\n2","serial":"\\x01"},"extras":{"a":1e+20,"b":"\u0001"}}"#
        #expect(r.jsonText(online: false) == golden)
        #expect(r.json(online: false).render() == golden)
    }

    @Test func manyExtrasKeepTheFirstOfARepeatedNameInBothForms() {
        var r = Reading(pack: "p", driver: "d", time: Date(timeIntervalSince1970: 0))
        r.extras = (0..<40).map { ("x\($0 % 30)", .number(Double($0))) }
        let text = r.jsonText(online: true)
        #expect(text == r.json(online: true).render())
        #expect(text.contains(#""x0":0,"#) && !text.contains(#""x0":30"#) && text.contains(#""x29":29}"#))
        guard case .object(let o) = r.json(online: true), case .object(let extras)? = o["extras"] else {
            Issue.record("no extras object"); return
        }
        #expect(extras.pairs.count == 30)
    }

    @Test func packLineForAGoodAndAFailedPoll() {
        var status = PackStatus(id: "p", driver: "d", bus: "b", address: "1", online: true, reading: fullReading(),
                                lastError: nil, lastPollTime: nil, counters: PackCounters(), sequence: 3)
        status.counters.polls = 4
        status.counters.ok = 3
        status.counters.timeouts = 1
        #expect(status.jsonLine == status.json.render())
        #expect(status.jsonLine.hasSuffix(#""stats":{"polls":4,"ok":3,"timeouts":1,"checksum_errors":0,"errors":0,"reopens":0}}"#))
        status.lastError = "no answer within 300 ms"
        status.lastPollTime = Date(timeIntervalSince1970: 1_790_000_001)
        #expect(status.jsonLine == #"{"pack":"p","driver":"d","time":"2026-09-21T14:13:21.000Z","online":true,"error":"no answer within 300 ms","reading_time":"2026-09-21T14:13:20.007Z","stats":{"polls":4,"ok":3,"timeouts":1,"checksum_errors":0,"errors":0,"reopens":0}}"#)
        #expect(status.jsonLine == status.json.render())
    }

    @Test func writerSeparatesNestedContainers() {
        var w = JSONWriter()
        w.beginArray()
        w.beginObject(); w.member("a", numbers: []); w.key("b"); w.beginArray(); w.beginArray(); w.endArray(); w.bool(true); w.endArray(); w.endObject()
        w.beginObject(); w.endObject()
        w.value(.array([.null, .string("x")]))
        w.number(-0.5)
        w.endArray()
        #expect(w.text == #"[{"a":[],"b":[[],true]},{},[null,"x"],-0.5]"#)
    }

    @Test func numbersAreWrittenAsTheTreeRendersThem() {
        var rng = SystemRandomNumberGenerator()
        var values: [Double] = [0, -0.0, 1, -1, 999_999_999_999_999, -999_999_999_999_999, 1e15, -1e15, 1e16, 0.1, -3.396,
                                .nan, .infinity, -.infinity, 65535, 4_294_967_295, Double(Int64.max), 1e-7, 123_456.5]
        for _ in 0..<3000 {
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: values.append(Double(Int64.random(in: -2_000_000_000_000_000...2_000_000_000_000_000, using: &rng)))
            case 1: values.append(Double(Int.random(in: -100_000...100_000, using: &rng)) / 1000)
            default: values.append(Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng)))
            }
        }
        for n in values {
            var w = JSONWriter()
            w.number(n)
            #expect(w.text == JSONValue.number(n).render(), "\(n)")
        }
    }
}
