/// Refuses absurdly deep nesting before the YAML parser sees it: the parser recurses per
/// level, and 5000 nested brackets would overflow the stack and crash `check` and `run`.
enum YAMLDepth {
    /// Deepest nesting a site file may have.
    static let limit = 64

    /// Where the nesting of flow collections (`[`, `{`) or block indentation first goes
    /// deeper than `limit` (1-based line and column), or nil. Quoted text and comments are
    /// skipped.
    static func tooDeep(_ text: String, limit: Int) -> (line: Int, column: Int)? {
        var depth = 0, line = 1, column = 0
        var quote: Character?
        var comment = false
        var atLineStart = true, indent = 0
        for ch in text {
            column += 1
            if ch == "\n" {
                line += 1
                column = 0
                comment = false
                atLineStart = true
                indent = 0
                if quote == "'" || quote == "\"" { continue }
                continue
            }
            if atLineStart {
                if ch == " " {
                    indent += 1
                    // Two spaces a level is the least a block can indent by.
                    if indent / 2 > limit * 2 { return (line, column) }
                    continue
                }
                atLineStart = false
            }
            if comment { continue }
            if let q = quote {
                if ch == q { quote = nil }
                continue
            }
            switch ch {
            case "\"", "'": quote = ch
            case "#": comment = true
            case "[", "{":
                depth += 1
                if depth > limit { return (line, column) }
            case "]", "}": depth = max(0, depth - 1)
            default: break
            }
        }
        return nil
    }
}
