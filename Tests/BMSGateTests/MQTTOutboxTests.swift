import Testing

@testable import BMSGate

/// The bounded queue of readings waiting for the broker.
@Suite struct MQTTOutboxTests {
    func message(_ n: Int) -> MQTTMessage { MQTTMessage(topic: "t", payload: "\(n)", qos: 1, retain: true) }

    func drain(_ box: inout MQTTOutbox) -> [String] {
        var out: [String] = []
        while let m = box.first {
            out.append(m.payload)
            box.removeFirst()
        }
        return out
    }

    @Test func dropOldestKeepsTheNewest() {
        var box = MQTTOutbox(capacity: 3, policy: .dropOldest)
        var burstStarts = 0
        for n in 1...7 where box.append(message(n)) { burstStarts += 1 }
        #expect(burstStarts == 1)
        #expect(box.count == 3 && box.dropped == 4 && box.droppedInBurst == 4)
        #expect(drain(&box) == ["5", "6", "7"])
        #expect(box.endBurst() == 4)
        #expect(box.droppedInBurst == 0 && box.dropped == 4)
        // A second outage is a second burst, logged again.
        var second = 0
        for n in 8...12 where box.append(message(n)) { second += 1 }
        #expect(second == 1 && box.dropped == 6)
        #expect(drain(&box) == ["10", "11", "12"])
    }

    @Test func dropNewestKeepsTheStartOfTheOutage() {
        var box = MQTTOutbox(capacity: 2, policy: .dropNewest)
        for n in 1...5 { box.append(message(n)) }
        #expect(box.dropped == 3)
        #expect(drain(&box) == ["1", "2"])
    }

    @Test func orderSurvivesLongRuns() {
        var box = MQTTOutbox(capacity: 100, policy: .dropOldest)
        var expected: [String] = []
        for n in 0..<1000 {
            box.append(message(n))
            if expected.count == 100 { expected.removeFirst() }  // the model of drop_oldest
            expected.append("\(n)")
            if n % 3 == 0, let first = box.first {
                #expect(first.payload == expected.removeFirst())
                box.removeFirst()
            }
        }
        #expect(box.dropped > 0)
        #expect(drain(&box) == expected)
        #expect(box.isEmpty && box.first == nil)
    }
}
