import Foundation
import Testing

/// The pylontech driver as a user runs it: `bmsgate simulate --driver pylontech` plays a
/// two-pack stack behind a pty, `bmsgate scan` finds both addresses, `bmsgate read` reads
/// every value, and a pack that stops answering and comes back (unplug/replug) is survived.
@Suite(.serialized) struct PylontechDriverE2ETests {
    @Test func scanReadAndAPackThatComesBack() throws {
        let dir = try TestTools.tempDir("pylontech"), tty = dir + "/ttyPYLON"
        let sim = try Child(TestTools.bmsgate, ["simulate", "--driver", "pylontech", "--link", tty, "--address", "2", "--address", "3"])
        defer { _ = sim.stop() }
        #expect(TestTools.waitUntil(10) { FileManager.default.fileExists(atPath: tty) })
        // The default scan asks the master (2) for the whole stack in one query.
        let stack = try TestTools.run(TestTools.bmsgate, ["scan", "--driver", "pylontech", "--device", tty], timeout: 60)
        #expect(stack.status == 0, "\(stack.stderr)")
        let rows = stack.stdout.split(whereSeparator: \.isNewline)
        #expect(rows.count == 2, "\(stack.stdout)")
        #expect(rows.first?.hasPrefix("2\t") == true && rows.first?.contains("module 1 of 2") == true
                && rows.first?.contains("15 cells") == true && rows.first?.contains("US2K022050100001") == true, "\(stack.stdout)")
        #expect(rows.last?.hasPrefix("3\t") == true && rows.last?.contains("module 2 of 2") == true, "\(stack.stdout)")
        // Address by address, as for clones that know no whole-stack query.
        let scan = try TestTools.run(TestTools.bmsgate, ["scan", "--driver", "pylontech", "--device", tty, "--from", "2", "--to", "4",
                                                         "--option", "stack=off"], timeout: 60)
        #expect(scan.status == 0, "\(scan.stderr)")
        #expect(scan.stdout.contains("2") && scan.stdout.contains("US2K022050100001"), "\(scan.stdout)")
        #expect(scan.stdout.contains("US2K032050100001"), "\(scan.stdout)")
        #expect(!scan.stdout.contains("US2K04") && !scan.stdout.contains("module"))
        let bad = try TestTools.run(TestTools.bmsgate, ["scan", "--driver", "pylontech", "--device", tty, "--option", "stack=maybe"], timeout: 60)
        #expect(bad.status != 0 && bad.stderr.contains("stack 'maybe'"), "\(bad.stderr)")
        try """
            site: pylon
            buses: [{id: rs, type: serial, device: \(tty)}]
            packs:
              - {id: a, driver: pylontech, bus: rs, address: 2}
              - {id: b, driver: pylontech, bus: rs, address: 3}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let read = try TestTools.run(TestTools.bmsgate, ["read", "--config", dir + "/site.yaml", "--format", "json"], timeout: 60)
        #expect(read.status == 0, "\(read.stderr)")
        let lines = read.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let a = try #require(lines.first { $0["pack"] as? String == "a" })
        #expect((a["cells"] as? [Double])?.count == 15 && (a["cells"] as? [Double])?.first == 3.269)
        #expect(a["voltage"] as? Double == 49.037 && a["current"] as? Double == -3.2)
        #expect(a["full_capacity"] as? Double == 74 && a["remaining_capacity"] as? Double == 48.1 && a["cycles"] as? Double == 27)
        #expect(a["charge_enabled"] as? Bool == true)
        let identity = a["identity"] as? [String: Any]
        #expect(identity?["serial"] as? String == "US2K022050100001" && identity?["model"] as? String == "US2000C")
        #expect(((a["extras"] as? [String: Any])?["charge_current_limit"]) as? Double == 37)
        #expect(lines.contains { $0["pack"] as? String == "b" })

        // Unplug: pack 3 goes silent; the other keeps answering; replug: it is read again.
        sim.send("silence 3")
        Thread.sleep(forTimeInterval: 0.3)
        let partial = try TestTools.run(TestTools.bmsgate, ["read", "--config", dir + "/site.yaml", "--format", "json"], timeout: 60)
        #expect(partial.stdout.contains("\"pack\":\"a\""))
        #expect(partial.stderr.contains("b") || partial.stdout.contains("\"online\":false") || !partial.stdout.contains("\"pack\":\"b\",\"driver\""),
                "\(partial.stdout.prefix(300)) \(partial.stderr.prefix(300))")
        sim.send("answer 3")
        Thread.sleep(forTimeInterval: 0.3)
        let again = try TestTools.run(TestTools.bmsgate, ["read", "--config", dir + "/site.yaml", "--format", "json"], timeout: 60)
        #expect(again.status == 0)
        #expect(again.stdout.split(separator: "\n").filter { $0.contains("\"cells\"") }.count == 2)
    }
}
