import Foundation
import Testing

/// A driver written from the header and the C example alone (examples/c-driver): its
/// options are checked by `bmsgate check`, its commands become HTTP routes with OpenAPI
/// entries and write rules, and the same source built against the ABI 1.0 header still
/// loads into this host.
@Suite(.serialized) struct ThirdPartyDriverTests {
    static let example = TestTools.root + "/examples/c-driver/example_driver.c"

    func site(_ dir: String, packs: String, sinks: String = "") throws -> String {
        let path = dir + "/site.yaml"
        try """
            site: third-party
            plugin_dirs: [\(dir)]
            buses:
              - {id: lab, type: sim}
            packs:
            \(packs)
            \(sinks)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func optionsAreCheckedAgainstTheDriversDescriptors() throws {
        let dir = try TestTools.tempDir("third-party-check")
        try TestTools.compileSharedObject(source: Self.example, output: dir + "/libbmsdriver-example-c.so")
        let good = try site(dir, packs: "  - {id: e1, driver: example-c, bus: lab, address: 1, options: {temperature_offset: -2.5}}")
        let ok = try TestTools.run(TestTools.bmsgate, ["check", good])
        #expect(ok.status == 0, "\(ok.stderr)")
        let bad = try site(dir, packs: """
              - {id: e1, driver: example-c, bus: lab, address: 1, options: {temperature_offset: 50}}
              - {id: e2, driver: example-c, bus: lab, address: 2, options: {temprature_offset: 1}}
              - {id: e3, driver: example-c, bus: lab, address: 3, options: {temperature_offset: warm}}
              - {id: e4, driver: example-c, bus: lab, address: 17}
              - {id: e5, driver: example-c, bus: lab, address: abc}
              - {id: e6, driver: example-c, bus: lab, address: "0x02"}
            """)
        let r = try TestTools.run(TestTools.bmsgate, ["check", bad])
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains("\(bad):6:85: pack 'e1': option 'temperature_offset' is 50, above the maximum 10"), "\(r.stderr)")
        #expect(lines.contains("\(bad):7:84: pack 'e2': driver 'example-c' has no option 'temprature_offset' (known: temperature_offset)"), "\(r.stderr)")
        #expect(lines.contains { $0.hasPrefix("\(bad):8:") && $0.contains("option 'temperature_offset' must be a number, not 'warm'") }, "\(r.stderr)")
        #expect(lines.contains { $0.hasPrefix("\(bad):9:") && $0.contains("address is 17, above the maximum 16") }, "\(r.stderr)")
        #expect(lines.contains { $0.hasPrefix("\(bad):10:") && $0.contains("address must be an integer (decimal or 0x-hex), not 'abc'") }, "\(r.stderr)")
        #expect(lines.contains { $0.hasPrefix("\(bad):11:") && $0.contains("packs 'e2' and 'e6' are the same device") }, "\(r.stderr)")
    }

    @Test func commandsBecomeRoutesWithTheirWriteRules() throws {
        let dir = try TestTools.tempDir("third-party-http")
        try TestTools.compileSharedObject(source: Self.example, output: dir + "/libbmsdriver-example-c.so")
        let config = try site(dir, packs: """
              - {id: e1, driver: example-c, bus: lab, address: 1, allow_writes: true}
              - {id: e2, driver: example-c, bus: lab, address: 2}
            """, sinks: "sinks: [{type: http, listen: \"127.0.0.1:0\", token_env: EXAMPLE_TOKEN}]")
        let gw = try Child(TestTools.bmsgate, ["run", "--config", config], environment: ["EXAMPLE_TOKEN": "tk"])
        defer { _ = gw.stop() }
        let port = try gw.port("http")
        #expect(TestTools.waitUntil(20) { (try? HTTPAPITests.curl(port, "GET", "/healthz"))?.json?["packs_online"] as? Double == 2 })

        let info = try HTTPAPITests.curl(port, "GET", "/api/packs/e2/example/info")
        #expect(info.status == 200 && info.json?["address"] as? Double == 2 && (info.json?["polls"] as? Double ?? 0) >= 1, "\(info)")
        // Two packs serve the route: no /api/example/... alias.
        #expect(try HTTPAPITests.curl(port, "GET", "/api/example/info").status == 404)
        // A writing command: the token first, then allow_writes of the pack, then the driver's own rules.
        let body = #"{"soc": 42.5, "confirm": true}"#
        #expect(try HTTPAPITests.curl(port, "POST", "/api/packs/e1/example/soc", body: body).status == 401)
        let refused = try HTTPAPITests.curl(port, "POST", "/api/packs/e2/example/soc", body: body, token: "tk")
        #expect(refused.status == 403 && (refused.json?["error"] as? String)?.contains("allow_writes") == true)
        let unconfirmed = try HTTPAPITests.curl(port, "POST", "/api/packs/e1/example/soc", body: #"{"soc": 42.5}"#, token: "tk")
        #expect(unconfirmed.status == 400 && (unconfirmed.json?["error"] as? String)?.contains("confirm") == true)
        let written = try HTTPAPITests.curl(port, "POST", "/api/packs/e1/example/soc", body: body, token: "tk")
        #expect(written.status == 200 && written.json?["soc"] as? Double == 42.5, "\(written)")
        #expect(TestTools.waitUntil(5) { (try? HTTPAPITests.curl(port, "GET", "/api/packs/e1"))?.json?["soc"] as? Double == 42.5 })

        let doc = try #require(try HTTPAPITests.curl(port, "GET", "/openapi.json").json?["paths"] as? [String: Any])
        let soc = try #require((doc["/api/packs/{id}/example/soc"] as? [String: Any])?["post"] as? [String: Any])
        #expect(soc["summary"] as? String == "Set the state of charge (%)" && soc["security"] != nil)
        let schema = ((((soc["requestBody"] as? [String: Any])?["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any])
        #expect((schema?["required"] as? [String]) == ["soc", "confirm"])
        #expect(((doc["/api/packs/{id}/example/info"] as? [String: Any])?["get"] as? [String: Any])?["security"] == nil)

        let drivers = try TestTools.run(TestTools.bmsgate, ["drivers", "--plugin-dir", dir, "--json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(drivers.stdout.utf8)) as? [String: Any])
        let example = try #require((list["drivers"] as? [[String: Any]])?.first { $0["id"] as? String == "example-c" })
        #expect(example["abi"] as? String == "1.3")
        #expect((example["options"] as? [[String: Any]])?.map { $0["key"] as? String } == ["address", "temperature_offset"])
        #expect((example["commands"] as? [[String: Any]])?.map { $0["writes"] as? Bool } == [false, true])
    }

    @Test func aDriverBuiltAgainstTheABI10HeaderStillLoads() throws {
        let dir = try TestTools.tempDir("abi10")
        try TestTools.compileSharedObject(source: Self.example, output: dir + "/libbmsdriver-example-c.so",
                                          includeDir: TestTools.root + "/Tests/Fixtures/abi-1.0")
        let drivers = try TestTools.run(TestTools.bmsgate, ["drivers", "--plugin-dir", dir, "--json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(drivers.stdout.utf8)) as? [String: Any])
        let example = try #require((list["drivers"] as? [[String: Any]])?.first { $0["id"] as? String == "example-c" })
        #expect(example["abi"] as? String == "1.0")
        #expect((example["options"] as? [Any])?.isEmpty == true && (example["commands"] as? [Any])?.isEmpty == true)
        // Undescribed options are the driver's to refuse at open; the host polls it as before.
        let config = try site(dir, packs: "  - {id: e1, driver: example-c, bus: lab, address: 2, options: {temperature_offset: 1}}")
        #expect(try TestTools.run(TestTools.bmsgate, ["check", config]).status == 0)
        let r = try TestTools.run(TestTools.bmsgate, ["read", "--config", config, "--format", "json"])
        let line = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
        #expect(line["current"] as? Double == -3 && line["temperatures"] as? [Double] == [21.5])
    }

    @Test func theHostNamesNoDriver() throws {
        var hits: [String] = []
        let ids = ["basen", "jk-bms", "rec-bms", "lc30", "pylontech", "daly", "jbd", "example-c"]
        let root = TestTools.root + "/Sources"
        let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        for file in files where file.hasSuffix(".swift") || file.hasSuffix(".c") || file.hasSuffix(".h") {
            let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                if code.hasPrefix("//") || code.hasPrefix("*") || code.hasPrefix("/*") { continue }
                for id in ids where line.lowercased().contains("\"\(id)\"") { hits.append("Sources/\(file):\(n + 1): \(id)") }
            }
        }
        #expect(hits.isEmpty, "the host names drivers: \(hits)")
    }

    @Test func theCoreImportsNoCLibraryAndNoNetwork() throws {
        let root = TestTools.root + "/Sources/BMSCore"
        let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        #expect(!files.isEmpty)
        for file in files {
            let imports = try String(contentsOfFile: root + "/" + file, encoding: .utf8).split(separator: "\n")
                .filter { $0.hasPrefix("import ") || $0.contains(" import ") }
            // Foundation, and the standard library's Synchronization (Mutex: a lock without an
            // allocation, for the pack line rendered once per state).
            #expect(imports.allSatisfy { $0 == "import Foundation" || $0 == "import Synchronization" }, "BMSCore/\(file): \(imports)")
        }
    }

    @Test func theDriverDocumentIsGeneratedFromTheDescriptors() throws {
        // docs/drivers.md is `bmsgate drivers --markdown` for the built-in drivers: each
        // driver's section of the output must stand in the document as it is.
        let out = try TestTools.run(TestTools.bmsgate, ["drivers", "--markdown"])
        #expect(out.status == 0)
        let doc = try String(contentsOfFile: TestTools.root + "/docs/drivers.md", encoding: .utf8)
        let sections = out.stdout.components(separatedBy: "\n## ").dropFirst()
        #expect(sections.count >= 4)
        for section in sections {
            #expect(doc.contains("\n## " + section.trimmingCharacters(in: .newlines)),
                    "docs/drivers.md is out of date: run `bmsgate drivers --markdown > docs/drivers.md` (\(section.prefix(30)))")
        }
    }
}
