extension HTTPSinkSettings: SinkSettings {
    public static let type = "http"

    static let registration = SinkRegistration(
        HTTPSinkSettings.self, keys: ["listen", "token_env", "token_file", "token", "max_body", "command_timeout",
                                   "max_connections", "max_per_address", "clients", "allow", "idle_timeout", "header_timeout"]
    ) { section, d in
        var h = HTTPSinkSettings()
        if let (host, port) = section.listen(sink: "http", defaultHost: HTTPSinkSettings().host, defaultPort: 8080, examples: "127.0.0.1:8080") {
            h.host = host
            h.port = port
        }
        if let v = section.value("token") {
            d.report(v, "the API token is never written in the site file: use token_env: VARIABLE or token_file: PATH")
        }
        if let env = section.string("token_env") { h.token = .environment(env) }
        if let file = section.string("token_file") {
            if h.token != nil { d.report(section.value("token_file"), "give the token either by token_env or by token_file, not both") }
            h.token = .file(file)
        }
        if let v = section.value("max_body") {
            if let text = v.string, let n = DurationParsing.size(text) { h.maxBody = n } else {
                d.report(v, "'max_body' of the http sink must be a size like 64KB")
            }
        }
        h.commandTimeout = section.duration("command_timeout", minimum: .milliseconds(100)) ?? h.commandTimeout
        h.connections = section.connectionPolicy(sink: "http", defaultMax: h.connections.maxConnections) { $0 }
        h.idleTimeout = section.duration("idle_timeout", minimum: .seconds(1)) ?? h.idleTimeout
        h.headerTimeout = section.duration("header_timeout", minimum: .milliseconds(100)) ?? h.headerTimeout
        return h
    } make: { h, c in
        let catalog = c.catalog
        return try HTTPSink(settings: h, site: c.config, routes: CommandRoutes(site: c.config) { catalog.driver($0)?.commands ?? [] },
                            access: c.access, logger: c.logger)
    }

    public var listenPort: Int? { port }
}
