import Foundation
import Testing

/// The README's Layout names every folder a newcomer meets, and each sink family folder
/// carries its README and a sample site file that `bmsgate check` accepts.
@Suite struct LayoutTests {
    static let families = ["Modbus", "CAN", "PylonRS485", "MQTT", "HTTP", "FileAndStdout"]

    static func folders(_ path: String) -> [String] {
        let fm = FileManager.default
        return ((try? fm.contentsOfDirectory(atPath: TestTools.root + "/" + path)) ?? []).filter { name in
            var isDir: ObjCBool = false
            return !name.hasPrefix(".") && name != "data" && fm.fileExists(atPath: TestTools.root + "/" + path + "/" + name, isDirectory: &isDir) && isDir.boolValue
        }.sorted()
    }

    @Test func theReadmeLayoutNamesEveryFolder() throws {
        let readme = try String(contentsOfFile: TestTools.root + "/README.md", encoding: .utf8)
        let layout = try #require(readme.components(separatedBy: "## Layout").dropFirst().first?.components(separatedBy: "\n## ").first)
        var missing: [String] = []
        for top in Self.folders("") where !layout.contains(top + "/") && !layout.contains(top + " ") { missing.append(top) }
        for parent in ["Sources", "Plugins", "Benchmarks"] {
            for name in Self.folders(parent) where !layout.contains("\(parent)/\(name)") && !layout.contains(" \(name),") && !layout.contains(" \(name):") {
                missing.append("\(parent)/\(name)")
            }
        }
        for name in Self.folders("Sources/BMSGate") where !layout.contains(name) { missing.append("Sources/BMSGate/\(name)") }
        #expect(missing.isEmpty, "README.md's Layout does not name: \(missing)")
        #expect(Self.folders("Sources/BMSGate").filter { Self.families.contains($0) }.count == Self.families.count)
    }

    @Test func eachFamilyHasAReadmeAndASampleThatChecks() throws {
        for family in Self.families {
            let dir = TestTools.root + "/Sources/BMSGate/" + family
            #expect(FileManager.default.fileExists(atPath: dir + "/README.md"), "\(family) has no README.md")
            let r = try TestTools.run(TestTools.bmsgate, ["check", dir + "/sample.yaml"], timeout: 30)
            #expect(r.status == 0 && r.stdout.contains(": ok ("), "\(family)/sample.yaml: \(r.stdout) \(r.stderr)")
        }
    }
}
