import Foundation

/// Whether the binaries the end-to-end tests run were built from the sources in the tree.
/// `make test` writes `source-stamp` (scripts/source-stamp.sh: a hash of every source file)
/// next to the binaries after building; without a stamp, modification times are compared.
enum BuildFreshness {
    /// nil when fresh, else what is stale and why (checked once per run).
    static let problem: String? = {
        let bin = TestTools.binDir
        guard FileManager.default.fileExists(atPath: bin + "/bmsgate") else {
            return "\(bin)/bmsgate does not exist: build first (make test)"
        }
        if let stamp = try? String(contentsOfFile: bin + "/source-stamp", encoding: .utf8) {
            let now = try? TestTools.run("/bin/sh", [TestTools.root + "/scripts/source-stamp.sh"])
            guard let current = now?.stdout, current.trimmingCharacters(in: .whitespacesAndNewlines) == stamp.trimmingCharacters(in: .whitespacesAndNewlines) else {
                return "the binaries in \(bin) were built from other sources than the tree holds now: run make test (it builds first)"
            }
            return nil
        }
        guard let builtAt = modified(bin + "/bmsgate"), let (file, at) = newest(TestTools.root + "/Sources"), at <= builtAt else {
            return "\(bin)/bmsgate is older than its sources: the tests would run an old build; run make test (or swift build) first"
        }
        _ = file
        return nil
    }()

    static func modified(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    /// The most recently modified source file under `dir`.
    static func newest(_ dir: String) -> (String, Date)? {
        let files = FileManager.default.enumerator(atPath: dir)?.compactMap { $0 as? String } ?? []
        return files.filter { file in [".swift", ".c", ".h"].contains { file.hasSuffix($0) } }
            .compactMap { f in modified(dir + "/" + f).map { (dir + "/" + f, $0) } }
            .max { $0.1 < $1.1 }
    }
}
