@testable import BMSCore
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

    /// A pack state is shared by copies until one changes: the changed copy writes its new
    /// line, the others keep theirs (a snapshot holds copies of every pack's state).
    @Test func aChangedCopyOfAPackStateWritesItsOwnLine() {
        // A fixed poll time: a failure line says when the poll was, and two renders a
        // millisecond apart must not differ by the clock.
        var a = PackStatus(id: "p", driver: "d", bus: "b", address: "1", online: true, reading: fullReading(),
                           lastError: nil, lastPollTime: Date(timeIntervalSince1970: 1_800_000_000), counters: PackCounters(), sequence: 3)
        let line = a.jsonLine
        var b = a
        b.online = false
        #expect(a.jsonLine == line && a.online)
        #expect(b.jsonLine == line.replacingOccurrences(of: #""online":true"#, with: #""online":false"#))
        // The only owner changes in place, and the line follows.
        a.sequence = 4
        a.online = false
        #expect(a.jsonLine == b.jsonLine && a.sequence == 4 && b.sequence == 3)
        a.reading = nil
        a.lastError = "gone"
        #expect(a.jsonLine == a.json.render() && a.jsonLine.contains(#""error":"gone""#) && b.reading != nil, "\(a.jsonLine)\n\(a.json.render())")
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

/// Readings share their extras' JSON chunk by chunk (`ReadingExtras.next`); the lines they
/// write must be what the tree says, whatever changed from one reading to the next.
@Suite struct ReadingExtrasSharingTests {
    @Test func sharedChunksWriteWhatTheTreeSays() {
        var rng = SystemRandomNumberGenerator()
        var names = (0..<70).map { "setting_\($0)" }
        var values: [ExtraValue] = names.indices.map { .number(Double($0)) }
        var extras = ReadingExtras.none
        var kept = 0, rewritten = 0
        for step in 0..<400 {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: // a name comes or goes: nothing can be kept
                if Bool.random(using: &rng), names.count > 3 {
                    let i = Int.random(in: 0..<names.count, using: &rng)
                    names.remove(at: i)
                    values.remove(at: i)
                } else {
                    names.append(Bool.random(using: &rng) ? names[0] : "new_\(step)")  // sometimes a repeated name
                    values.append(.text("t\"\(step)"))
                }
            case 1...5: // a few values move (cell min/max indexes, say)
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let i = Int.random(in: 0..<values.count, using: &rng)
                    values[i] = Bool.random(using: &rng) ? .number(Double.random(in: -1e6...1e6, using: &rng)) : .text("v\(step)")
                }
            default: break // the same as before
            }
            let list = zip(names, values).map { (name: $0, value: $1) }
            let previous = extras
            extras = ReadingExtras.next(list, after: previous)
            #expect(extras.holds(list))
            if previous.names.list == names {
                for (k, chunk) in extras.chunks.enumerated() where k < previous.chunks.count {
                    let range = k * ReadingExtras.chunkSize..<min(list.count, (k + 1) * ReadingExtras.chunkSize)
                    let same = range.allSatisfy { previous.list[$0].value == list[$0].value }
                    #expect((chunk === previous.chunks[k]) == same, "step \(step), chunk \(k)")
                    if same { kept += 1 } else { rewritten += 1 }
                }
            }
            var r = Reading(pack: "p", driver: "basen", time: Date(timeIntervalSince1970: 1_800_000_000))
            r.soc = 50
            r.sharedExtras = extras
            let tree = r.json(online: true).render()
            #expect(r.jsonText(online: true) == tree, "step \(step)")
            #expect(r.jsonText(online: true) == tree, "step \(step), from the cache")
            // The same extras set through the plain list write the same text.
            var plain = Reading(pack: "p", driver: "basen", time: r.time)
            plain.soc = 50
            plain.extras = list
            #expect(plain.jsonText(online: true) == tree)
        }
        #expect(kept > 500 && rewritten > 50)
    }

    @Test func aReadingCopyKeepsItsExtrasAndAChangedCopyGetsItsOwn() {
        var a = Reading(pack: "p", driver: "d", time: Date(timeIntervalSince1970: 0))
        a.extras = [("charge_current_limit", .number(40)), ("x", .text("y"))]
        var b = a
        #expect(b.sharedExtras === a.sharedExtras && b.reportedLimits.chargeCurrent == 40)
        b.extras[0].value = .number(20)
        #expect(a.reportedLimits.chargeCurrent == 40 && b.reportedLimits.chargeCurrent == 20)
        #expect(a.jsonText(online: true).contains(#""charge_current_limit":40"#))
        #expect(b.jsonText(online: true).contains(#""charge_current_limit":20,"x":"y""#))
    }
}
