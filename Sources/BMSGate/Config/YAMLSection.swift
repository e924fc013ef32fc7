import Yams

/// Collects issues while a site file is read.
final class ConfigDiagnostics {
    let file: String
    var issues: [ConfigIssue] = []
    init(file: String) { self.file = file }

    func location(_ node: Node?) -> SourceLocation {
        let mark = node?.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    func report(_ node: Node?, _ message: String) { issues.append(ConfigIssue(location(node), message)) }

    /// The issues, each once, in file order.
    var distinctIssues: [ConfigIssue] {
        var seen = Set<String>()
        return issues.filter { seen.insert($0.description).inserted }
            .sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) }
    }
}

/// One YAML mapping of the site file with typed, located accessors. Unknown keys are
/// reported by `reject(unknownBut:)`; a wrong type is reported at the value.
struct YAMLSection {
    let node: Node
    let pairs: [(key: Node, value: Node)]
    let diagnostics: ConfigDiagnostics
    /// What this mapping is, for messages ("bus 'rack'", "sinks[1]").
    let what: String

    init?(_ node: Node, what: String, diagnostics: ConfigDiagnostics) {
        guard case .mapping(let mapping) = node else {
            diagnostics.report(node, "\(what) must be a mapping of key: value")
            return nil
        }
        self.node = node
        self.pairs = mapping.map { ($0.key, $0.value) }
        self.diagnostics = diagnostics
        self.what = what
        // YAML forbids a key twice in one mapping; Yams keeps both and the first would win.
        var first: [String: Node] = [:]
        for (key, _) in pairs {
            guard let name = key.string else { continue }
            if let earlier = first[name] {
                diagnostics.report(key, "'\(name)' is given twice (first at \(diagnostics.location(earlier))): give each key once")
            } else {
                first[name] = key
            }
        }
    }

    var location: SourceLocation { diagnostics.location(node) }

    /// Reports every key not in `known`.
    func reject(unknownBut known: [String]) {
        for (key, _) in pairs {
            let name = key.string ?? "?"
            if !known.contains(name) {
                diagnostics.report(key, "unknown key '\(name)' in \(what) (known: \(known.joined(separator: ", ")))")
            }
        }
    }

    func value(_ key: String) -> Node? { pairs.first { $0.key.string == key }?.value }
    func keyNode(_ key: String) -> Node? { pairs.first { $0.key.string == key }?.key }

    func string(_ key: String, required: Bool = false) -> String? {
        guard let v = value(key) else {
            if required { diagnostics.report(node, "\(what) is missing '\(key)'") }
            return nil
        }
        guard case .scalar(let s) = v, !s.string.isEmpty || s.style != .plain else {
            diagnostics.report(v, "'\(key)' in \(what) must be a text value")
            return nil
        }
        return s.string
    }

    func int(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let v = value(key) else { return nil }
        guard let text = v.string, let n = DriverOptionsParsing.integer(text) else {
            diagnostics.report(v, "'\(key)' in \(what) must be a whole number")
            return nil
        }
        guard range.contains(n) else {
            diagnostics.report(v, "'\(key)' in \(what) must be within \(range.lowerBound)...\(range.upperBound), not \(n)")
            return nil
        }
        return n
    }

    func number(_ key: String, in range: ClosedRange<Double>) -> Double? {
        guard let v = value(key) else { return nil }
        guard let text = v.string, let n = Double(text), n.isFinite else {
            diagnostics.report(v, "'\(key)' in \(what) must be a number")
            return nil
        }
        guard range.contains(n) else {
            diagnostics.report(v, "'\(key)' in \(what) must be within \(range.lowerBound)...\(range.upperBound), not \(text)")
            return nil
        }
        return n
    }

    func bool(_ key: String) -> Bool? {
        guard let v = value(key) else { return nil }
        switch v.string?.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            diagnostics.report(v, "'\(key)' in \(what) must be true or false")
            return nil
        }
    }

    func duration(_ key: String, minimum: Duration = .zero) -> Duration? {
        guard let v = value(key) else { return nil }
        guard let text = v.string, let d = DurationParsing.parse(text) else {
            if let text = v.string, DurationParsing.isTooLong(text) {
                diagnostics.report(v, "'\(key)' in \(what) is longer than a year: give a duration like 1s, 500ms, 2m")
                return nil
            }
            diagnostics.report(v, "'\(key)' in \(what) must be a duration like 1s, 500ms, 2m")
            return nil
        }
        guard d >= minimum else {
            diagnostics.report(v, "'\(key)' in \(what) must be at least \(minimum.milliseconds) ms")
            return nil
        }
        return d
    }

    func stringList(_ key: String) -> [(String, Node)]? {
        guard let v = value(key) else { return nil }
        guard case .sequence(let seq) = v else {
            diagnostics.report(v, "'\(key)' in \(what) must be a list")
            return nil
        }
        var out: [(String, Node)] = []
        for item in seq {
            guard case .scalar(let s) = item else {
                diagnostics.report(item, "items of '\(key)' in \(what) must be text values")
                continue
            }
            out.append((s.string, item))
        }
        return out
    }

    func sequence(_ key: String) -> [Node] {
        guard let v = value(key) else { return [] }
        guard case .sequence(let seq) = v else {
            diagnostics.report(v, "'\(key)' must be a list")
            return []
        }
        return Array(seq)
    }
}

/// Integer parsing shared by config and CLI: decimal or 0x-hex.
enum DriverOptionsParsing {
    static func integer(_ text: String) -> Int? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return Int(text.dropFirst(2), radix: 16) }
        return Int(text)
    }
}
