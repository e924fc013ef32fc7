import Foundation
import BMSGateTestSupport
import Testing

@testable import BMSGate

/// The one "newest value, wake the consumer" type every sink thread waits on, and the one
/// stall rule every inverter link reads through.
@Suite struct MailboxTests {
    @Test func keepsTheNewestAndCountsWhatItDropped() {
        let box = Mailbox<Int>(capacity: 2)
        for i in 1...5 { #expect(box.post(i)) }
        #expect(box.dropped == 3)
        #expect(box.take(limit: 1) == [4])
        #expect(box.take() == [5])
        #expect(!box.wait(ms: 10), "empty: the wait times out")
    }

    @Test func closingWakesTheConsumerAndKeepsWhatIsHeld() {
        let box = Mailbox<String>()
        #expect(box.post("a"))
        box.close()
        #expect(!box.post("b"), "closed: nothing more is taken")
        #expect(box.take() == ["a"], "what was held is still taken")
        #expect(box.take().isEmpty, "then empty: the consumer ends")
        let discarding = Mailbox<String>()
        discarding.post("x")
        discarding.close(discarding: true)
        #expect(discarding.take().isEmpty)
    }

    @Test func aWaitingConsumerWakesForAPost() async {
        let box = Mailbox<Int>()
        let consumer = Task.detached { box.take() }
        try? await Task.sleep(for: .milliseconds(50))  // the consumer is waiting (or about to)
        box.post(7)
        #expect(await consumer.value == [7])
    }

    @Test func theLinkSaysStalledBeforeTheFirstCommandAndWhenItGrowsOld() {
        // stale_after 3 s: the command may be 4 s old (InverterCommand.maximumAge).
        let clock = ManualClock(start: 10_000)
        let state = InverterLinkState(initial: "no data", staleAfter: .seconds(3), clock: clock)
        #expect(state.current() == "no data")
        state.post("100 A", stalled: "0 A")
        #expect(state.current() == "100 A")
        clock.advance(.seconds(4))
        #expect(state.current() == "100 A", "exactly the maximum age: still fresh")
        clock.advance(.milliseconds(1))
        #expect(state.current() == "0 A", "older: the stalled twin")
        state.touch()
        #expect(state.current() == "100 A", "the bank did not change but the gateway still publishes: fresh again")
        #expect(state.current(nowMs: 9_000) == "100 A", "stamped after the reader's clock: new, never wrapped")
    }
}
