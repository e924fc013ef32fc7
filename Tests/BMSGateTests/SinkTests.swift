import Foundation
import Logging
import Testing

@testable import BMSGate

/// A sink that blocks until released: stands in for a dead broker or a stuck disk.
final class BlockedSink: Sink, @unchecked Sendable {
    let gate = DispatchSemaphore(value: 0)
    var written = 0
    var closed = false
    var name: String { "blocked" }
    func write(_ snapshot: Snapshot) {
        gate.wait()
        written += 1
    }
    func close() { closed = true }
}

@Suite struct SinkTests {
    func snapshot(pack: String = "p1", sequence: Int, soc: Double = 50) -> Snapshot {
        var r = Reading(pack: pack, driver: "basen", time: Date(timeIntervalSince1970: 0))
        r.soc = soc
        let status = PackStatus(id: pack, driver: "basen", bus: "b", address: "1", online: true, reading: r,
                                lastError: nil, lastPollTime: nil, counters: PackCounters(), sequence: sequence)
        return Snapshot(site: "t", time: Date(), packs: [status], banks: [])
    }

    @Test func aStuckSinkDropsOldestAndNeverBlocksTheOfferer() {
        let sink = BlockedSink()
        let runner = SinkRunner(sink: sink, capacity: 4, logger: Logger(label: "test"))
        runner.start()
        let start = Date()
        for i in 1...100 { runner.offer(snapshot(sequence: i)) }
        #expect(Date().timeIntervalSince(start) < 1)  // offering 100 snapshots did not wait on the sink
        #expect(runner.droppedCount >= 95)
        for _ in 0..<10 { sink.gate.signal() }
        runner.stop()
        #expect(sink.closed)
        #expect(sink.written <= 5)
    }

    @Test func fileSinkWritesEachResultOnceAndRotates() throws {
        let dir = NSTemporaryDirectory() + "bmsgate-file-\(UUID().uuidString.prefix(8))"
        let path = dir + "/sub/r.jsonl"
        let sink = FileSink(path: path, maxSize: 600, keep: 2, logger: Logger(label: "test"))
        for i in 1...30 {
            sink.write(snapshot(sequence: i, soc: Double(i)))
            sink.write(snapshot(sequence: i, soc: Double(i)))  // same result again: not rewritten
        }
        sink.close()
        let fm = FileManager.default
        #expect(fm.fileExists(atPath: path))
        #expect(fm.fileExists(atPath: path + ".1"))
        #expect(fm.fileExists(atPath: path + ".2"))
        #expect(!fm.fileExists(atPath: path + ".3"))
        let current = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let previous = try String(contentsOfFile: path + ".1", encoding: .utf8).split(separator: "\n")
        #expect(current.last?.contains("\"soc\":30") == true)
        #expect(try (fm.attributesOfItem(atPath: path)[.size] as? Int ?? 0) <= 600)
        // Consecutive, none twice: the last line of .1 precedes the first of the current file.
        let socs = (previous + current).compactMap { line -> Int? in
            guard let r = line.range(of: "\"soc\":") else { return nil }
            return Int(line[r.upperBound...].prefix { $0.isNumber })
        }
        #expect(socs == Array((30 - socs.count + 1)...30))
    }

    @Test func aTornLastLineIsRemovedWhenTheFileIsOpened() throws {
        let dir = NSTemporaryDirectory() + "bmsgate-torn-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/r.jsonl"
        let whole = #"{"id":"old","soc":1}"# + "\n"
        try (whole + #"{"id":"old","so"#).write(toFile: path, atomically: false, encoding: .utf8)
        let sink = FileSink(path: path, maxSize: 1 << 20, keep: 1, logger: Logger(label: "test"))
        sink.write(snapshot(sequence: 1, soc: 42))
        sink.close()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix(whole + "{"))
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
        #expect(lines[1].contains("\"soc\":42"))
        // A file of one torn line and nothing else becomes empty before the first record.
        try #"{"id":"x""#.write(toFile: path, atomically: false, encoding: .utf8)
        #expect(FileSink.lastLineEnd(path: path, size: 8) == 0)
        #expect(FileSink.lastLineEnd(path: path, size: 0) == 0)
    }

    @Test func fileSinkWriteErrorIsCountedNotFatal() {
        let sink = FileSink(path: "/proc/bmsgate-cannot-write/r.jsonl", maxSize: 1000, keep: 1, logger: Logger(label: "test"))
        sink.write(snapshot(sequence: 1))
        sink.write(snapshot(sequence: 2))
        #expect(sink.writeErrors == 2)
        #expect(sink.droppedReadings == 2)
        #expect(sink.counters.first { $0.name == "dropped_readings_total" }?.value == 2)
        #expect(sink.counters.first { $0.name == "failing" }?.value == 1)
        sink.close()
    }

    @Test func tableShowsPacksAndBanks() throws {
        var s = snapshot(sequence: 1, soc: 99.99)
        let config = BankConfig(id: "main", packs: ["p1"], unitId: 1, location: SourceLocation(file: "t", line: 1, column: 1))
        s.banks = [BankStatus.aggregate(config, statuses: s.packs)]
        let text = TableFormatter.render(s)
        #expect(text.contains("p1"))
        #expect(text.contains("online"))
        #expect(text.contains("99.99%"))
        #expect(text.contains("bank main"))
        #expect(text.contains("limits main: charge - 0.0A, discharge 0.0A, bulk — charge: not_configured (no charge_current limit for p1"), "\(text)")
        #expect(text.contains("1/1 online"))
    }
}
