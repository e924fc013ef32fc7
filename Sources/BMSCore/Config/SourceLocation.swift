/// Where something sits in a config file (1-based line and column).
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    /// A location.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }
    /// `FILE:LINE:COL`.
    public var description: String { "\(file):\(line):\(column)" }
}
