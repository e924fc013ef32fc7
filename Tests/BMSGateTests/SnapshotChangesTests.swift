import BMSGateTestSupport
import CBMSDriver
import Foundation
import Logging
import Testing

@testable import BMSGate

/// Snapshots say what changed, sinks update only that, and the result is the same as
/// rebuilding everything (issue "per-reading cost", scope 1 and 2).
@Suite struct SnapshotChangesTests {
    func config() throws -> SiteConfig {
        try ConfigLoader.parse(yaml: """
            buses: [{id: lab, type: sim}]
            packs:
              - {id: a, driver: basen, bus: lab, address: 1}
              - {id: b, driver: basen, bus: lab, address: 2}
              - {id: c, driver: basen, bus: lab, address: 3}
              - {id: d, driver: basen, bus: lab, address: 4}
            banks:
              - {id: left, unit_id: 1, packs: [a, b], stale_after: 10s, limits: {charge_current: 50, discharge_current: 60}}
              - {id: right, unit_id: 2, packs: [c, d], stale_after: 10s, limits: {charge_current: 50, discharge_current: 60}}
            """, file: "t.yaml")
    }

    func reading(_ pack: String, soc: Double, at time: Date) -> Reading {
        var r = Reading(pack: pack, driver: "basen", time: time)
        r.cells = [3.3, 3.31 + soc / 10_000, 3.29]
        r.voltage = r.cells.reduce(0, +)
        r.current = soc - 50
        r.soc = soc
        r.soh = 97
        r.fullCapacity = 100
        r.temperatures = [20, 21.5]
        return r
    }

    @Test func aSnapshotListsThePacksAndBanksThatChanged() throws {
        let clock = ManualClock()
        let site = Site(config: try config(), clock: clock)
        let first = site.publish()
        #expect(first.generation == 1 && first.changedPacks.isEmpty && first.changedBanks.isEmpty)
        site.record(pack: "c", result: .success(reading("c", soc: 50, at: Date())), counters: PackCounters(), at: Date())
        let second = site.publish()
        #expect(second.generation == 2)
        #expect(second.changedPacks == [2] && second.changedBanks == [1])
        #expect(second.packs[2].online && second.banks[1].onlinePacks == ["c"])
        // Nothing new: nothing changed, banks are the previous ones.
        let third = site.publish()
        #expect(third.changedPacks.isEmpty && third.changedBanks.isEmpty && third.banks[1].onlinePacks == ["c"])
        // The data goes stale: freshness flips count as a change.
        clock.advance(.milliseconds(11_000))
        let fourth = site.publish()
        #expect(fourth.changedPacks == [2] && fourth.changedBanks == [1] && !fourth.packs[2].online)
        #expect(fourth.banks[1].limits.chargeCurrent == 0)
        #expect(fourth.pack("c")?.sequence == 1 && fourth.pack("zz") == nil)
        #expect(fourth.members(ofBank: 1).map(\.id) == ["c", "d"])
    }

    @Test func aCursorThatMissedSnapshotsComparesEverything() throws {
        let site = Site(config: try config(), clock: ManualClock(start: 5_000))
        var cursor = SnapshotCursor()
        // The first snapshot a cursor sees: every pack is new to it.
        #expect(cursor.changes(in: site.publish()).packs == [0, 1, 2, 3])
        site.record(pack: "a", result: .success(reading("a", soc: 40, at: Date())), counters: PackCounters(), at: Date())
        #expect(cursor.changes(in: site.publish()) == ([0], [0]))
        // Two snapshots the cursor never sees (a sink queue dropped them).
        site.record(pack: "b", result: .success(reading("b", soc: 41, at: Date())), counters: PackCounters(), at: Date())
        _ = site.publish()
        site.record(pack: "d", result: .success(reading("d", soc: 42, at: Date())), counters: PackCounters(), at: Date())
        _ = site.publish()
        let seen = cursor.changes(in: site.publish())
        #expect(seen.packs == [1, 3] && seen.banks == [0, 1])
        // A hand-made snapshot: everything counts as changed.
        var fresh = SnapshotCursor()
        let manual = Snapshot(site: "x", time: Date(), packs: site.publish().packs, banks: [])
        #expect(fresh.changes(in: manual).packs == [0, 1, 2, 3])
    }

    /// The cursor says which changed packs have a new reading (a line for the file and the
    /// terminal), not only a freshness flip, also after snapshots it never saw.
    @Test func theCursorSaysWhichPacksHaveANewReading() throws {
        let clock = ManualClock()
        let site = Site(config: try config(), clock: clock)
        var cursor = SnapshotCursor()
        _ = cursor.changes(in: site.publish())
        #expect(cursor.newReadings.isEmpty, "no pack was read yet")
        site.record(pack: "a", result: .success(reading("a", soc: 40, at: Date())), counters: PackCounters(), at: Date())
        _ = cursor.changes(in: site.publish())
        #expect(cursor.newReadings == [0])
        _ = cursor.changes(in: site.publish())
        #expect(cursor.newReadings.isEmpty, "nothing new")
        clock.advance(.milliseconds(11_000))
        let stale = cursor.changes(in: site.publish())
        #expect(stale.packs == [0] && cursor.newReadings.isEmpty, "went stale: a change, not a new reading")
        // Two readings of b in snapshots the cursor never saw: one new reading (the newest).
        site.record(pack: "b", result: .success(reading("b", soc: 41, at: Date())), counters: PackCounters(), at: Date())
        _ = site.publish()
        site.record(pack: "b", result: .success(reading("b", soc: 42, at: Date())), counters: PackCounters(), at: Date())
        let later = site.publish()
        _ = cursor.changes(in: later)
        #expect(cursor.newReadings == [1])
        var lines = SnapshotCursor()
        #expect(lines.newLines(in: later).count == 2, "a new cursor writes every pack with a reading once")
        #expect(lines.newLines(in: later).isEmpty)
    }

    /// Bank `b`'s registers built from scratch.
    func fullRebuild(_ snapshot: Snapshot, bank b: Int, config: SiteConfig, map: ModbusSinkSettings.Map, heartbeat: UInt16) -> [UInt16] {
        var status = snapshot.banks[b]
        status.unitId = config.banks[b].unitId
        let packs = snapshot.members(ofBank: b)
        switch map {
        case .simple: return SimpleRegisterMap.registers(bank: status, packs: packs, heartbeat: heartbeat, now: snapshot.time)
        case .sunspec: return SunSpecImage.registers(.init(site: snapshot.site, bank: status, packs: packs,
                                                           reserveSoc: config.banks[b].limits.reserveSoc, heartbeat: heartbeat))
        }
    }

    /// Many random snapshots: the incremental image equals registers built from scratch.
    @Test(arguments: [ModbusSinkSettings.Map.simple, ModbusSinkSettings.Map.sunspec])
    func incrementalRegistersEqualAFullRebuild(map: ModbusSinkSettings.Map) throws {
        let clock = ManualClock()
        let config = try config()
        let site = Site(config: config, clock: clock)
        var settings = ModbusSinkSettings()
        settings.map = map
        let builder = ModbusImageBuilder(settings: settings, banks: config.banks)
        var rng = SystemRandomNumberGenerator()
        var wall = Date(timeIntervalSince1970: 1_800_000_000)
        var skipped = 0
        for step in 0..<300 {
            let advance = Int64.random(in: 50...900, using: &rng)
            clock.advance(.milliseconds(step % 97 == 96 ? 12_000 : advance))  // now and then everything goes stale
            wall = wall.addingTimeInterval(Double(advance) / 1000)
            let pack = ["a", "b", "c", "d"].randomElement(using: &rng)!
            if Bool.random(using: &rng) {
                site.record(pack: pack, result: .success(reading(pack, soc: Double.random(in: 5...95, using: &rng).rounded(), at: wall)),
                            counters: PackCounters(), at: wall)
            } else {
                site.record(pack: pack, result: .failure(PollFailure(status: BMS_ERR_TIMEOUT.rawValue, message: "no answer within 300 ms")), counters: PackCounters(), at: wall)
            }
            let snapshot = site.publish(at: wall)
            if step % 13 == 5 { skipped += 1; continue }  // the sink's queue dropped this one
            let image = builder.image(snapshot)
            for (b, bank) in config.banks.enumerated() {
                let expected = fullRebuild(snapshot, bank: b, config: config, map: map, heartbeat: builder.heartbeat(ofBank: b))
                let unit = try #require(image.units[UInt8(bank.unitId)])
                #expect(unit.registers == expected, "step \(step), bank \(bank.id), \(map)")
            }
        }
        #expect(skipped > 10)
    }
}

extension SnapshotChangesTests {
    /// The sink only moves the heartbeats per snapshot; the registers are encoded when a
    /// client reads, from the newest snapshot, and equal a full rebuild whatever number of
    /// snapshots went unread. A real client reads a value as soon as it was published.
    @Test(arguments: [ModbusSinkSettings.Map.simple, ModbusSinkSettings.Map.sunspec])
    func registersAreEncodedWhenAClientReads(map: ModbusSinkSettings.Map) throws {
        let clock = ManualClock()
        let config = try config()
        let site = Site(config: config, clock: clock)
        var settings = ModbusSinkSettings()
        settings.host = "127.0.0.1"
        settings.port = 0
        settings.map = map
        var wall = Date(timeIntervalSince1970: 1_800_000_000)
        let sink = try ModbusTCPSink(settings: settings, banks: config.banks, initial: site.publish(at: wall), logger: Logger(label: "t"))
        defer { sink.close() }
        var rng = SystemRandomNumberGenerator()
        var freshSeconds = [0.0, 0.0], last = wall
        var reads = 0, unread = 0
        for step in 0..<250 {
            let advance = Int64.random(in: 50...900, using: &rng)
            clock.advance(.milliseconds(step % 61 == 60 ? 12_000 : advance))
            wall = wall.addingTimeInterval(Double(advance) / 1000)
            let pack = ["a", "b", "c", "d"].randomElement(using: &rng)!
            site.record(pack: pack, result: .success(reading(pack, soc: Double.random(in: 5...95, using: &rng).rounded(), at: wall)),
                        counters: PackCounters(), at: wall)
            let snapshot = site.publish(at: wall)
            // The heartbeat counts every snapshot's time while the bank has fresh data.
            for b in 0..<2 where snapshot.banks[b].state != .offline {
                freshSeconds[b] += wall.timeIntervalSince(last)
            }
            last = wall
            sink.write(snapshot)
            guard Int.random(in: 0..<4, using: &rng) == 0 else { unread += 1; continue }
            reads += 1
            let image = sink.server.images.current
            for (b, bank) in config.banks.enumerated() {
                let heartbeat = sink.builder.heartbeat(ofBank: b)
                #expect(heartbeat == UInt16(truncatingIfNeeded: Int(freshSeconds[b])), "step \(step)")
                let expected = fullRebuild(snapshot, bank: b, config: config, map: map, heartbeat: heartbeat)
                #expect(try #require(image.units[UInt8(bank.unitId)]).registers == expected, "step \(step), bank \(bank.id), \(map)")
            }
        }
        #expect(reads > 30 && unread > 100)
        guard map == .simple else { return }
        // Over the wire: the bank's SoC (register 10, x10) as published, with no other trigger.
        for soc in [37.0, 81.0] {
            for pack in ["a", "b"] {
                site.record(pack: pack, result: .success(reading(pack, soc: soc, at: wall)), counters: PackCounters(), at: wall)
            }
            sink.write(site.publish(at: wall))
            let client = try RawModbusClient(port: sink.server.port)
            client.send([0, 1, 0, 0, 0, 6, 1, 0x03, 0, 10, 0, 1])
            let answer = try #require(client.receive())
            #expect(answer.count == 11 && Int(answer[9]) << 8 | Int(answer[10]) == Int(soc * 10))
        }
    }
}

@Suite struct ISOTimeTests {
    @Test func formatsUTCWithMillisecondsDigitByDigit() {
        #expect(ISOTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(ISOTime.format(Date(timeIntervalSince1970: 1_800_000_123.456)) == "2027-01-15T08:02:03.456Z")
        #expect(ISOTime.format(Date(timeIntervalSince1970: 951_782_400.007)) == "2000-02-29T00:00:00.007Z")
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let t = Double.random(in: 0...4_102_444_800, using: &rng)
            let total = Int64((t * 1000).rounded())
            var whole = time_t(total / 1000)
            var parts = tm()
            gmtime_r(&whole, &parts)
            let ms = Int(total % 1000)
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1,
                                  parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, ms)
            #expect(ISOTime.format(Date(timeIntervalSince1970: t)) == expected)
        }
    }
}

@Suite struct ReadingBufferExtrasTests {
    func poll(_ buffer: ReadingBuffer, _ extras: [(String, Double)]) -> [String: Double] {
        buffer.reset()
        for (name, value) in extras { buffer.reading.pointee.set_extra_number?(buffer.reading.pointee.host, name, value) }
        let r = buffer.makeReading(pack: "p", driver: "d", time: Date())
        #expect(Set(r.extras.map(\.name)).count == r.extras.count, "names are unique")
        return Dictionary(uniqueKeysWithValues: r.extras.map { ($0.name, { if case .number(let v) = $0 { v } else { .nan } }($0.value)) })
    }

    @Test func namesAreUniqueWhateverTheOrderFromPollToPoll() {
        let buffer = ReadingBuffer()
        #expect(poll(buffer, [("a", 1), ("b", 2), ("c", 3)]) == ["a": 1, "b": 2, "c": 3])
        // Same names in the same order (the fast path).
        #expect(poll(buffer, [("a", 4), ("b", 5), ("c", 6)]) == ["a": 4, "b": 5, "c": 6])
        // A name reported twice in one poll: the last value, once.
        #expect(poll(buffer, [("a", 7), ("b", 8), ("a", 9)]) == ["a": 9, "b": 8])
        // Another order, one missing, one new.
        #expect(poll(buffer, [("c", 1), ("a", 2), ("d", 3), ("c", 4)]) == ["c": 4, "a": 2, "d": 3])
        #expect(poll(buffer, [("c", 5), ("a", 6), ("d", 7), ("a", 8)]) == ["c": 5, "a": 8, "d": 7])
        #expect(poll(buffer, []) == [:])
    }
}

@Suite struct PackLineTests {
    @Test func theLineIsRenderedOnceAndAgainAfterAChange() {
        var r = Reading(pack: "p", driver: "d", time: Date(timeIntervalSince1970: 1_800_000_000))
        r.soc = 50
        var status = PackStatus(id: "p", driver: "d", bus: "b", address: "1", online: true, reading: r, lastError: nil,
                                lastPollTime: r.time, counters: PackCounters(), sequence: 1)
        let first = status.jsonLine
        #expect(first == status.json.render())
        let copy = status
        status.online = false
        #expect(status.jsonLine == status.json.render() && status.jsonLine != first)
        #expect(copy.jsonLine == first)
        status.reading?.soc = 51
        #expect(status.jsonLine.contains("\"soc\":51"))
        status.lastError = "no answer within 300 ms"
        #expect(status.jsonLine.contains("no answer within 300 ms"))
    }
}

@Suite struct DashboardHistoryTests {
    @Test func changedPacksAndEveryBankOnceASecondMakeTheMinutePoints() throws {
        let clock = ManualClock()
        let config = try SnapshotChangesTests().config()
        let site = Site(config: config, clock: clock)
        let history = DashboardHistory()
        let minute = Date(timeIntervalSince1970: 1_800_000_000 - 1_800_000_000.truncatingRemainder(dividingBy: 60))
        for step in 0..<20 {
            let wall = minute.addingTimeInterval(Double(step) * 0.5)
            clock.advance(.milliseconds(500))
            var r = SnapshotChangesTests().reading("a", soc: Double(40 + step), at: wall)
            r.cells = [3.2, 3.3 + Double(step) / 1000]
            site.record(pack: "a", result: .success(r), counters: PackCounters(), at: wall)
            let snap = site.publish(at: wall)
            if step % 5 != 4 { history.record(snap) }  // some snapshots never reach the sink
        }
        let pack = try #require(history.json("pack:a"))
        guard case .object(let o) = pack, case .object(let values)? = o["values"], case .array(let soc)? = values["soc"],
              case .array(let maxima)? = values["cell_max"] else { Issue.record("shape"); return }
        #expect(soc.count == 1)
        // Mean of the recorded SoCs (every step whose snapshot arrived, or a later one that
        // still showed it): each result once.
        let recorded = (0..<20).filter { $0 % 5 != 4 }.map { Double(40 + $0) }
        let sum: Double = recorded.reduce(0, +)
        let mean: Double = (sum / Double(recorded.count) * 1000).rounded() / 1000
        #expect(soc.first == JSONValue.number(mean))
        #expect(maxima.first == JSONValue.number(3.3 + 18.0 / 1000))  // step 19 never arrived
        // The idle bank (no pack data): sampled about once a second, so it has its point too.
        let right = try #require(history.json("bank:right"))
        guard case .object(let b) = right, case .array(let times)? = b["time"] else { Issue.record("shape"); return }
        #expect(times.count == 1)
        #expect(history.ids.contains("bank:left") && history.ids.contains("pack:d"))
    }
}

@Suite struct RegisterStringTests {
    @Test func asciiAndOtherTextEncodeAlike() {
        #expect(RegisterType.encodeString("bmsgate", registers: 4) == [0x626D, 0x7367, 0x6174, 0x6500])
        #expect(RegisterType.encodeString("abcdefghij", registers: 2) == [0x6162, 0x6364])  // cut to fit
        #expect(RegisterType.encodeString("", registers: 2) == [0, 0])
        #expect(RegisterType.encodeString("ab€", registers: 3) == [0x6162, 0xE282, 0xAC00])  // € is 3 bytes and fits
        #expect(RegisterType.encodeString("ab€", registers: 2) == [0x6162, 0])  // does not fit: left out whole
    }
}

/// A sink that notes the batches it is handed.
final class GatheringSink: Sink, @unchecked Sendable {
    let name = "gathering"
    let gatherWindow: Duration
    private let lock = NSLock()
    private var seen: [[Int]] = []
    init(window: Duration) { gatherWindow = window }
    func write(_ snapshot: Snapshot) { lock.withLock { seen.append([snapshot.generation]) } }
    func write(batch: [Snapshot]) { lock.withLock { seen.append(batch.map(\.generation)) } }
    func close() {}
    var batches: [[Int]] { lock.withLock { seen } }
}

@Suite struct SinkGatheringTests {
    func snapshot(_ g: Int) -> Snapshot {
        Snapshot(site: "s", time: Date(), packs: [], banks: [], generation: g, changedPacks: [], changedBanks: [],
                 layout: SiteLayout(packs: [], banks: []))
    }

    @Test func aSinkWithAWindowGetsTheSnapshotsOfTheWindowTogetherInOrder() throws {
        let sink = GatheringSink(window: .milliseconds(100))
        let runner = SinkRunner(sink: sink, capacity: 64, logger: Logger(label: "test"))
        runner.start()
        for g in 1...5 { runner.offer(snapshot(g)) }
        Thread.sleep(forTimeInterval: 0.3)
        runner.offer(snapshot(6))
        runner.stop()
        #expect(sink.batches == [[1, 2, 3, 4, 5], [6]])
    }

    @Test func withoutAWindowEverySnapshotIsWrittenAlone() throws {
        let sink = GatheringSink(window: .zero)
        let runner = SinkRunner(sink: sink, capacity: 64, logger: Logger(label: "test"))
        runner.start()
        for g in 1...4 { runner.offer(snapshot(g)) }
        runner.stop()
        #expect(sink.batches == [[1], [2], [3], [4]])
    }
}
