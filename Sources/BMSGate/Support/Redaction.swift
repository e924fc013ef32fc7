import Foundation

/// Keeps secrets out of everything the gateway prints: JSON members and `name=value` /
/// `name: value` pairs whose name contains key, password, passcode, token or secret have
/// their value replaced by "***".
public enum Redaction {
    /// Name parts that mark a secret.
    static let secretWords = ["key", "password", "passcode", "token", "secret", "passwd"]

    /// True when a field named `name` holds a secret.
    public static func isSecret(_ name: String) -> Bool {
        let n = name.lowercased()
        return secretWords.contains { n.contains($0) }
    }

    /// `text` with secret values replaced: JSON string and number members
    /// (`"key1": "0x0414"`) and `key=value`, `key: value` pairs.
    public static func redact(_ text: String) -> String {
        guard secretWords.contains(where: { text.lowercased().contains($0) }) else { return text }
        var out = text
        for regex in patterns {
            let range = NSRange(out.startIndex..., in: out)
            var replaced = ""
            var last = out.startIndex
            for match in regex.matches(in: out, range: range) {
                guard let name = Range(match.range(at: 1), in: out), let value = Range(match.range(at: 2), in: out),
                      isSecret(String(out[name])) else { continue }
                replaced += out[last..<value.lowerBound] + "***"
                last = value.upperBound
            }
            out = replaced + out[last...]
        }
        return out
    }

    private static let patterns: [NSRegularExpression] = [
        // "name": "value" | "name": 123 | "name": [ ... ] (one level)
        #""([A-Za-z0-9_\-]+)"\s*:\s*("(?:[^"\\]|\\.)*"|-?[0-9][0-9A-Fa-fx.eE+\-]*|\[[^\]]*\])"#,
        // name=value | name: value (plain text, up to a space, comma or brace)
        #"(?<![A-Za-z0-9_"])([A-Za-z0-9_\-]+)\s*[=:]\s*([^\s,;}"\]]+)"#,
    ].map { try! NSRegularExpression(pattern: $0) }

    /// The "op" of a JSON command request, for logs ("?" when there is none).
    public static func operationName(of request: String) -> String {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(request.utf8))) as? [String: Any],
              let op = object["op"] as? String else { return "?" }
        let safe = op.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-" }
        return String(String.UnicodeScalarView(safe.prefix(64)))
    }
}
