import BMSDriverKit
import Testing

@Suite struct DriverReadingExtrasTests {
    /// Few or many extras, set once or again: one entry per name, first place kept, last value.
    @Test(arguments: [3, 8, 9, 60])
    func aNameSetAgainKeepsItsPlaceAndTakesTheNewValue(count: Int) {
        var r = DriverReading()
        for i in 0..<count { r.setExtra("p\(i)", Double(i)) }
        for i in stride(from: 0, to: count, by: 2) { r.setExtra("p\(i)", Double(100 + i)) }
        r.setExtra("text", "x")
        r.setExtra("p0", "again")
        #expect(r.extras.map(\.name) == (0..<count).map { "p\($0)" } + ["text"])
        #expect(r.extra("p0") == .text("again"))
        if count > 1 { #expect(r.extra("p1") == .number(1)) }
        if count > 2 { #expect(r.extra("p2") == .number(102)) }
        #expect(r.extra("text") == .text("x"))
        #expect(r.extra("missing") == nil)
    }

    /// A table added at once: names set before keep their place and take the new value,
    /// the rest follow in order; setExtra afterwards still finds every name (its index is
    /// rebuilt from the list).
    @Test(arguments: [0, 3, 12])
    func aTableAddedAtOnceMergesWithWhatWasSet(before: Int) {
        var r = DriverReading()
        for i in 0..<before { r.setExtra("info\(i)", Double(i)) }
        r.setExtras(distinct: [("q0", 1), ("info1", 50), ("q1", 2), ("info0", 40)])
        let expected = (0..<before).map { "info\($0)" } + ["q0"] + (before > 1 ? [] : ["info1"]) + ["q1"] + (before > 0 ? [] : ["info0"])
        #expect(r.extras.map(\.name) == expected)
        #expect(r.extra("info1") == .number(50) && r.extra("info0") == .number(40) && r.extra("q1") == .number(2))
        if before > 2 { #expect(r.extra("info2") == .number(2)) }
        r.setExtra("q0", 9)
        r.setExtra("late", 7)
        #expect(r.extra("q0") == .number(9) && r.extras.last?.name == "late" && r.extras.count == expected.count + 1)
    }
}
