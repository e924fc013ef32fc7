/// Settings of the `stdout` sink: a table (default) or JSON Lines on the terminal.
public struct StdoutSinkSettings: SinkSettings, Equatable {
    public static let type = "stdout"
    /// `table` or `json`.
    public var format = "table"
    /// Table refresh interval.
    public var interval: Duration = .seconds(1)

    /// A table every second.
    public init() {}

    static let registration = SinkRegistration(StdoutSinkSettings.self, keys: ["format", "interval"]) { section, d in
        var s = StdoutSinkSettings()
        s.format = section.string("format") ?? "table"
        if !["table", "json"].contains(s.format) {
            d.report(section.value("format"), "'format' of the stdout sink must be table or json, not '\(s.format)'")
        }
        s.interval = section.duration("interval") ?? .seconds(1)
        return s
    } make: { s, c in
        let access = c.access
        return StdoutSink(format: s.format, interval: s.interval) { access.sinkHealth }
    }
}
