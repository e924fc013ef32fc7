/// Settings of the `file` sink: JSON Lines with size rotation.
public struct FileSinkSettings: SinkSettings, Equatable {
    public static let type = "file"
    /// The file.
    public var path: String
    /// Rotate past this many bytes.
    public var maxSize = 10 << 20
    /// Rotated files kept.
    public var keep = 5

    /// A file at `path`, 10 MB, 5 kept.
    public init(path: String) { self.path = path }

    static let registration = SinkRegistration(FileSinkSettings.self, keys: ["path", "max_size", "keep"]) { section, d in
        guard let path = section.string("path", required: true) else { return nil }
        var s = FileSinkSettings(path: path)
        if let v = section.value("max_size") {
            if let text = v.string, let n = DurationParsing.size(text) { s.maxSize = n } else {
                d.report(v, "'max_size' of the file sink must be a size like 10MB, 512KB or bytes")
            }
        }
        s.keep = section.int("keep", in: 0...1000) ?? 5
        return s
    } make: { s, c in
        FileSink(path: s.path, maxSize: s.maxSize, keep: s.keep, logger: c.logger)
    }
}
