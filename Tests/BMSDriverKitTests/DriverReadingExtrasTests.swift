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
}
