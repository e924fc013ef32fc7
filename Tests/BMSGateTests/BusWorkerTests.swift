import BMSGateTestSupport
import CBMSDriver
import Foundation
import Logging
import Testing

@testable import BMSGate

/// The bus worker with a test driver on a scripted transport: backoff and recovery,
/// reopen after a transport failure, the bounded command queue, commands that never run
/// once their caller gave up, and polls that keep their rate under a stream of commands.
@Suite(.serialized) struct BusWorkerTests {
    let here = SourceLocation(file: "test", line: 1, column: 1)

    func worker(_ transport: ScriptedTransport, interval: Duration = .milliseconds(100), timeout: Duration = .milliseconds(50),
                maxBackoff: Duration = .milliseconds(400)) -> (BusWorker, Site) {
        let bus = BusConfig(id: "b", settings: SimBusSettings(), location: here)
        var pack = PackConfig(id: "p", driver: "test-line", bus: "b", address: "1", location: here)
        pack.pollInterval = interval
        pack.timeout = timeout
        pack.retries = 0
        pack.maxBackoff = maxBackoff
        pack.staleAfter = .milliseconds(300)
        let config = SiteConfig(file: "test", site: "t", pluginDirs: [], buses: [bus], packs: [pack], banks: [], sinks: [])
        let site = Site(config: config)
        let w = BusWorker(bus: bus, transport: transport, transportKind: BMS_TRANSPORT_SERIAL.rawValue,
                          packs: [(pack, LineDriver.loaded)], site: site, emulatorServer: nil, logger: Logger(label: "test"))
        return (w, site)
    }

    func polls(_ t: ScriptedTransport) -> Int { t.writes.filter { $0.first == UInt8(ascii: "P") }.count }
    func commands(_ t: ScriptedTransport) -> Int { t.writes.filter { $0.first == UInt8(ascii: "C") }.count }

    @Test func aSilentPackBacksOffAndIsSeenSoonAfterItAnswers() throws {
        let transport = ScriptedTransport { _ in .silence }
        let (w, site) = worker(transport)
        w.start()
        defer { w.stop() }
        Thread.sleep(forTimeInterval: 1.5)
        // Without backoff: ~10 polls in 1.5 s; doubling from 100 ms, capped at 400 ms: ~5.
        let silent = polls(transport)
        #expect(silent >= 3 && silent <= 7, "\(silent) polls of a silent pack in 1.5 s")
        transport.setResponder(LineDriver.device(soc: 61))
        let t0 = MonotonicClock.nowMs()
        #expect(TestToolsWait.until(2) { site.publish().packs[0].online })
        #expect(MonotonicClock.nowMs() - t0 <= 600, "seen again after \(MonotonicClock.nowMs() - t0) ms (cap 400 ms)")
        #expect(site.publish().packs[0].reading?.soc == 61)
    }

    @Test func aFailedTransportIsReopened() throws {
        final class Flag: @unchecked Sendable { var failed = false }
        let flag = Flag()
        let transport = ScriptedTransport { _ in .silence }
        transport.setResponder { request in
            if !flag.failed { flag.failed = true; return .fail("device unplugged") }
            return LineDriver.device(soc: 40)(request)
        }
        let (w, site) = worker(transport)
        w.start()
        defer { w.stop() }
        #expect(TestToolsWait.until(2) { site.publish().packs[0].online })
        #expect(transport.opens == 2)
        #expect(site.publish().packs[0].counters.reopens == 1)
    }

    @Test func theCommandQueueIsBoundedAndBusyIsSaidAtOnce() throws {
        // Polls time out (300 ms each) so commands pile up behind one.
        let transport = ScriptedTransport { request in request.first == UInt8(ascii: "C") ? LineDriver.device()(request) : .silence }
        let (w, _) = worker(transport, interval: .milliseconds(50), timeout: .milliseconds(300))
        w.start()
        defer { w.stop() }
        Thread.sleep(forTimeInterval: 0.05)
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var all: [Result<String, PollFailure>] = []
        }
        let results = Results()
        for i in 0..<(BusWorker.commandQueueLimit + 4) {
            w.submit(pack: "p", request: #"{"op":"n\#(i)"}"#) { r in results.lock.withLock { results.all.append(r) } }
        }
        let busy = results.lock.withLock { results.all.filter { if case .failure(let f) = $0 { f.kind == .busy } else { false } }.count }
        #expect(busy == 4)
        #expect(TestToolsWait.until(15) { results.lock.withLock { results.all.count } == BusWorker.commandQueueLimit + 4 })
        #expect(commands(transport) == BusWorker.commandQueueLimit)
    }

    @Test func aCommandWhoseCallerGaveUpNeverReachesTheDevice() throws {
        let transport = ScriptedTransport { request in request.first == UInt8(ascii: "C") ? LineDriver.device()(request) : .silence }
        let (w, _) = worker(transport, interval: .milliseconds(50), timeout: .milliseconds(500))
        w.start()
        defer { w.stop() }
        Thread.sleep(forTimeInterval: 0.05)  // inside a 500 ms poll
        let r = w.command(pack: "p", request: #"{"op":"seal"}"#, timeout: .milliseconds(100))
        guard case .failure(let f) = r else { Issue.record("the command ran: \(r)"); return }
        #expect(f.kind == .timeout && f.message.contains("will not run"))
        Thread.sleep(forTimeInterval: 1.2)
        #expect(commands(transport) == 0)
        // A command with time to wait runs.
        let ok = w.command(pack: "p", request: #"{"op":"info"}"#, timeout: .seconds(3))
        #expect((try? ok.get())?.contains("done 1 info") == true, "\(ok)")
    }

    @Test func pollsKeepTheirRateUnderAStreamOfCommands() throws {
        let transport = ScriptedTransport(respond: LineDriver.device())
        let (w, _) = worker(transport, interval: .milliseconds(100))
        w.start()
        defer { w.stop() }
        Thread.sleep(forTimeInterval: 0.3)
        let idleStart = polls(transport)
        Thread.sleep(forTimeInterval: 1)
        let idle = polls(transport) - idleStart
        let stop = MonotonicCondition()
        final class Flag: @unchecked Sendable { var on = true }
        let flag = Flag()
        let floods = (0..<4).map { _ in
            WorkerThread(name: "flood") {
                while stop.withLock({ flag.on }) { _ = w.command(pack: "p", request: #"{"op":"read"}"#, timeout: .seconds(2)) }
            }
        }
        floods.forEach { $0.start() }
        let busyStart = polls(transport)
        Thread.sleep(forTimeInterval: 1)
        let busy = polls(transport) - busyStart
        stop.withLock { flag.on = false }
        floods.forEach { $0.join() }
        #expect(commands(transport) > 20)
        #expect(Double(busy) >= Double(idle) * 0.8, "polls per second: idle \(idle), under commands \(busy)")
    }
}

extension BusWorkerTests {
    /// The packs of one line are polled in rounds, back to back (one wake-up of the bus
    /// thread per round, not per pack), even when the first round was slow (identity and
    /// parameters are read then), and each pack keeps its interval.
    @Test func aLinesPacksArePolledBackToBackInRounds() throws {
        final class Log: @unchecked Sendable {
            let lock = NSLock()
            var polls: [(address: Int, ms: UInt64)] = []
            var seen = Set<Int>()
        }
        let log = Log()
        let device = LineDriver.device()
        let transport = ScriptedTransport { request in
            let line = String(decoding: request, as: UTF8.self)
            if line.hasPrefix("P"), let address = Int(line.dropFirst().prefix { $0 != "\n" }) {
                let first = log.lock.withLock { () -> Bool in
                    log.polls.append((address, MonotonicClock.nowMs()))
                    return log.seen.insert(address).inserted
                }
                Thread.sleep(forTimeInterval: first ? 0.06 : 0.005)  // a slow first poll, then the wire time
            }
            return device(request)
        }
        let bus = BusConfig(id: "b", settings: SimBusSettings(), location: here)
        let packs = (1...4).map { i -> (PackConfig, LoadedDriver) in
            var pack = PackConfig(id: "p\(i)", driver: "test-line", bus: "b", address: "\(i)", location: here)
            pack.pollInterval = .milliseconds(400)
            pack.timeout = .milliseconds(100)
            return (pack, LineDriver.loaded)
        }
        let config = SiteConfig(file: "test", site: "t", pluginDirs: [], buses: [bus], packs: packs.map(\.0), banks: [], sinks: [])
        let w = BusWorker(bus: bus, transport: transport, transportKind: BMS_TRANSPORT_SERIAL.rawValue, packs: packs,
                          site: Site(config: config), emulatorServer: nil, logger: Logger(label: "test"))
        w.start()
        Thread.sleep(forTimeInterval: 2.9)
        w.stop()
        let polls = log.lock.withLock { log.polls }
        let t0 = try #require(polls.first).ms
        #expect(polls.prefix(4).map(\.address) == [1, 2, 3, 4] && polls[3].ms - t0 >= 150, "the first round: 60 ms a pack")
        // Rounds after the first: polls less than 20 ms apart (a poll takes 5 ms here).
        var rounds: [[(address: Int, ms: UInt64)]] = []
        for p in polls.dropFirst(4) {
            if let last = rounds.last?.last, p.ms - last.ms < 20 { rounds[rounds.count - 1].append(p) } else { rounds.append([p]) }
        }
        // From the second round on, each holds every pack, in order.
        #expect(rounds.count >= 6, "\(rounds.count) rounds in 2.9 s")
        for (n, round) in rounds.dropLast().enumerated() {
            #expect(round.map(\.address) == [1, 2, 3, 4], "round \(n + 2): \(round.map(\.address))")
        }
        // Every pack keeps its interval: 400 ms from one poll to the next, give or take the scheduler.
        for address in 1...4 {
            let times = polls.filter { $0.address == address }.map(\.ms).dropFirst()
            for (a, b) in zip(times, times.dropFirst()) {
                #expect(b - a >= 380 && b - a <= 440, "pack \(address): \(b - a) ms between polls")
            }
        }
        #expect(BusWorker.nextDue(started: 10_000, roundStart: 9_900, interval: 1000) == 10_900)
        // A round that runs past half an interval (a line too slow for its packs): each
        // pack keeps its own rhythm, so none is polled twice before the others.
        #expect(BusWorker.nextDue(started: 10_000, roundStart: 9_000, interval: 1000) == 11_000)
    }
}

/// Polling helper for unit tests.
enum TestToolsWait {
    static func until(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = MonotonicClock.nowMs() + UInt64(seconds * 1000)
        while MonotonicClock.nowMs() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return condition()
    }
}
