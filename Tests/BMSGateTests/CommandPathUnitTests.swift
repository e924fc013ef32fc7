import Foundation
import Testing
@testable import BMSGate

/// The pieces of the safe command path: a command runs at most once and never after its
/// caller gave up; secrets are redacted; timed waits run on the monotonic clock.
@Suite struct CommandPathUnitTests {
    final class Outcomes: @unchecked Sendable {
        var results: [Result<String, PollFailure>] = []
    }

    @Test func anAbandonedCommandNeverStarts() {
        let outcomes = Outcomes()
        let c = PendingCommand(pack: "p1", request: #"{"op":"set","value":1}"#) { outcomes.results.append($0) }
        #expect(c.name == "set")
        #expect(c.abandon(PollFailure(.timeout, "gave up")))
        #expect(!c.start())
        c.finish(.success("{}"))
        #expect(outcomes.results.count == 1)
        if case .failure(let f) = outcomes.results.first { #expect(f.kind == .timeout) } else { Issue.record("not a failure") }
    }

    @Test func aStartedCommandAnswersItsCallerEvenAfterATimeout() {
        let outcomes = Outcomes()
        let c = PendingCommand(pack: "p1", request: #"{"op":"get"}"#) { outcomes.results.append($0) }
        #expect(c.start())
        #expect(!c.abandon(PollFailure(.timeout, "too late")))
        #expect(outcomes.results.isEmpty)
        c.finish(.success(#"{"ok":true}"#))
        c.finish(.success("twice"))
        #expect(outcomes.results.count == 1)
        if case .success(let answer) = outcomes.results.first { #expect(answer == #"{"ok":true}"#) } else { Issue.record("no answer") }
    }

    @Test func secretsAreRedactedWhereverTheyAppear() {
        #expect(Redaction.redact(#"{"action":"unseal","key1":"0x0414","key2": 13938}"#) == #"{"action":"unseal","key1":***,"key2": ***}"#)
        #expect(Redaction.redact(#"{"Password":"hunter2","passcode":[1,2,3],"value":3.5}"#) == #"{"Password":***,"passcode":***,"value":3.5}"#)
        #expect(Redaction.redact("unseal with key1=0x0414 key2: 0x3672, mode=full") == "unseal with key1=*** key2: ***, mode=full")
        #expect(Redaction.redact("api_token=abc secret:xyz voltage=3.2") == "api_token=*** secret:*** voltage=3.2")
        #expect(Redaction.redact(#"{"monkey_count":3}"#) == #"{"monkey_count":***}"#)  // errs on the side of hiding
        #expect(Redaction.redact("cell 3 high: 3.65 V") == "cell 3 high: 3.65 V")
        #expect(Redaction.operationName(of: #"{"op":"security_set","key1":"1"}"#) == "security_set")
        #expect(Redaction.operationName(of: "not json") == "?")
    }

    @Test func timedWaitsEndOnTheMonotonicClock() {
        let condition = MonotonicCondition()
        let start = MonotonicClock.nowMs()
        let signalled = condition.withLock { condition.wait(untilMs: start + 120) }
        let waited = MonotonicClock.nowMs() - start
        #expect(!signalled)
        #expect(waited >= 119 && waited < 2000, "waited \(waited) ms")
        // A deadline in the past returns at once.
        let t0 = MonotonicClock.nowMs()
        #expect(!condition.withLock { condition.wait(untilMs: t0 - 10) })
        #expect(MonotonicClock.nowMs() - t0 < 50)
    }
}
