import Foundation
import Testing

/// The already-built host loading plugins it has never seen: broken ones are reported with
/// the reason, the rest load; an out-of-tree C driver is loaded and polled.
@Suite(.serialized) struct PluginLoaderTests {
    /// Builds one broken plugin from C source.
    func plugin(_ dir: String, _ name: String, _ source: String) throws {
        let path = dir + "/\(name).c"
        try source.write(toFile: path, atomically: true, encoding: .utf8)
        try TestTools.compileSharedObject(source: path, output: dir + "/libbmsdriver-\(name).so")
    }

    @Test func everyBadPluginIsReportedAndTheOthersLoad() throws {
        let dir = try TestTools.tempDir("plugins")
        try "this is not an ELF file".write(toFile: dir + "/libbmsdriver-garbage.so", atomically: true, encoding: .utf8)
        // A copy of a real plugin cut in half (a full disk, an interrupted copy): refused from
        // its headers, never mapped (it crashed `bmsgate drivers` with a bus error).
        let whole = try Data(contentsOf: URL(fileURLWithPath: TestTools.binDir + "/libbmsdriver-basen.so"))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: dir + "/libbmsdriver-truncated.so"))
        try plugin(dir, "nosymbol", "__attribute__((visibility(\"default\"))) int something_else(void) { return 1; }\n")
        try plugin(dir, "wrongabi", """
            #include "bms_driver.h"
            static const bms_driver t = { .struct_size = sizeof(bms_driver), .abi_major = 99, .id = "future" };
            __attribute__((visibility("default"))) const bms_driver *bms_driver_entry(uint32_t v) { (void)v; return &t; }
            """)
        try plugin(dir, "refuses", """
            #include "bms_driver.h"
            __attribute__((visibility("default"))) const bms_driver *bms_driver_entry(uint32_t v) { (void)v; return 0; }
            """)
        // Plugins that take their process down while loading: tried in a child process
        // first, reported, left out; the host goes on with the others.
        try plugin(dir, "aborts", """
            #include <stdlib.h>
            __attribute__((constructor)) static void boom(void) { abort(); }
            __attribute__((visibility("default"))) const void *bms_driver_entry(unsigned v) { (void)v; return 0; }
            """)
        try plugin(dir, "exits", """
            #include <stdlib.h>
            __attribute__((visibility("default"))) const void *bms_driver_entry(unsigned v) { (void)v; exit(3); }
            """)
        let example = TestTools.root + "/examples/c-driver/example_driver.c"
        try TestTools.compileSharedObject(source: example, output: dir + "/libbmsdriver-a-example.so")
        try TestTools.compileSharedObject(source: example, output: dir + "/libbmsdriver-b-example-copy.so")
        // Not named like a plugin: never dlopen()ed (its constructor would leave a file).
        let marker = dir + "/constructor-ran"
        try "#include <stdio.h>\n__attribute__((constructor)) static void mark(void) { FILE *f = fopen(\"\(marker)\", \"w\"); if (f) fclose(f); }\n"
            .write(toFile: dir + "/other.c", atomically: true, encoding: .utf8)
        try TestTools.compileSharedObject(source: dir + "/other.c", output: dir + "/libother.so")
        // A FIFO named like a plugin: refused without being opened (opening it would hang).
        #expect(mkfifo(dir + "/libbmsdriver-fifo.so", 0o644) == 0)

        let r = try TestTools.run(TestTools.bmsgate, ["drivers", "--plugin-dir", dir, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let drivers = (json["drivers"] as? [[String: Any]]) ?? []
        #expect(Set(drivers.compactMap { $0["id"] as? String }) == ["example-c", "basen", "rec-bms", "jk-bms", "lc30", "pylontech", "daly", "jbd"])
        #expect(drivers.first { $0["id"] as? String == "example-c" }?["path"] as? String == dir + "/libbmsdriver-a-example.so")
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect((json["ignored"] as? [String]) == [dir + "/libother.so"])
        let failed = Dictionary(uniqueKeysWithValues: ((json["failed"] as? [[String: Any]]) ?? []).map {
            (($0["path"] as? String ?? "").split(separator: "/").last.map(String.init)?
                .replacingOccurrences(of: "libbmsdriver-", with: "") ?? "", $0["reason"] as? String ?? "")
        })
        #expect(failed["garbage.so"]?.hasPrefix("not a shared object") == true, "\(failed)")
        #expect(failed["truncated.so"]?.hasPrefix("truncated") == true, "\(failed)")
        #expect(failed["nosymbol.so"] == "not a bmsgate driver: no 'bms_driver_entry' symbol")
        #expect(failed["wrongabi.so"] == "driver speaks ABI major 99, this host speaks 1")
        #expect(failed["refuses.so"] == "the driver refused host ABI 1 (its entry returned NULL)")
        #expect(failed["b-example-copy.so"]?.hasPrefix("duplicate driver id 'example-c': already loaded from \(dir)/libbmsdriver-a-example.so") == true)
        #expect(failed["fifo.so"] == "not a regular file (a plugin is a shared object file)")
        if !TestTools.sanitized {  // ThreadSanitizer turns the abort into its own report and exit
            #expect(failed["aborts.so"]?.hasPrefix("the plugin crashed while loading (signal 6") == true, "\(failed)")
        }
        #expect(failed["exits.so"] == "the plugin ended the process while loading (exit status 3); not loaded", "\(failed)")
        #expect(failed.count == 9)

        let table = try TestTools.run(TestTools.bmsgate, ["drivers", "--plugin-dir", dir])
        #expect(table.stdout.contains("failed to load:"))
        #expect(table.stdout.contains("\(dir)/libbmsdriver-wrongabi.so: driver speaks ABI major 99"))
    }

    @Test func swiftDriverExportsOnlyTheEntrySymbol() throws {
        let nm = try TestTools.run("/usr/bin/env", ["nm", "-D", "--defined-only", TestTools.binDir + "/libbmsdriver-basen.so"])
        #expect(nm.status == 0, "\(nm.stderr)")
        let globals = nm.stdout.split(separator: "\n").compactMap { line -> String? in
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[1].first?.isUppercase == true else { return nil }
            return String(parts[2])
        }
        #expect(globals == ["bms_driver_entry"])
    }

    @Test func outOfTreeCDriverLoadsIntoTheBuiltHost() throws {
        let dir = try TestTools.tempDir("cdriver")
        // Built now, after the host: the host is not rebuilt.
        try TestTools.compileSharedObject(source: TestTools.root + "/examples/c-driver/example_driver.c", output: dir + "/libbmsdriver-example-c.so")
        let nm = try TestTools.run("/usr/bin/env", ["nm", "-D", "--defined-only", dir + "/libbmsdriver-example-c.so"])
        #expect(nm.stdout.split(separator: "\n").filter { $0.contains(" T ") }.map { $0.split(separator: " ").last ?? "" } == ["bms_driver_entry"])
        try """
            site: c-example
            plugin_dirs: [\(dir)]
            buses:
              - {id: lab, type: sim}
            packs:
              - {id: e1, driver: example-c, bus: lab, address: 1}
              - {id: e2, driver: example-c, bus: lab, address: 2}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let r = try TestTools.run(TestTools.bmsgate, ["read", "--config", dir + "/site.yaml", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(lines.count == 2)
        #expect(lines.map { $0["driver"] as? String } == ["example-c", "example-c"])
        #expect(lines.map { $0["current"] as? Double } == [-1.5, -3])
        #expect(lines.map { $0["voltage"] as? Double } == [13.2, 13.2])
        #expect(lines.first?["cells"] as? [Double] == [3.3, 3.301, 3.302, 3.299])
        #expect(lines.first?["status"] as? [String] == ["Normal"])
        #expect((lines.first?["identity"] as? [String: Any])?["manufacturer"] as? String == "bmsgate examples")
    }
}
