/// The HTTP routes a site's drivers describe (`bms_command_desc`, ABI 1.1): each command with
/// a route is served at `<method> /api/packs/{id}/<path>` for the packs whose driver has it,
/// and at `/api/<path>` when exactly one pack of the site serves that method and path.
/// Built once from the site and the loaded drivers; the host names no driver.
public struct CommandRoutes: Sendable {
    /// One method and path, and the packs that serve it (each with its driver's command).
    public struct Route: Sendable {
        /// "GET" or "POST".
        public var method: String
        /// Below `/api/packs/{id}/`, e.g. "bms/diag".
        public var path: String
        /// Pack id → the command it runs for this route.
        public var commands: [String: DriverCommand]
        /// The pack `/api/<path>` reaches, when exactly one serves the route.
        public var alias: String? { commands.count == 1 ? commands.keys.first : nil }
        /// The command shown in the OpenAPI document (the first pack's, in file order).
        public var representative: DriverCommand
    }

    /// Every route, in the order the drivers list their commands.
    public private(set) var routes: [Route] = []
    /// Routes left out (a bad path, or one the host's own routes use), with the reason.
    public private(set) var rejected: [String] = []

    /// First segments of `/api/...` that the host's own routes use.
    static let reservedAliases: Set<String> = ["site", "packs", "events", "banks", "history"]

    /// The routes of `site`'s packs, from `commandsOf(driverId)`.
    public init(site: SiteConfig, commandsOf: (String) -> [DriverCommand]) {
        for pack in site.packs {
            for command in commandsOf(pack.driver) {
                guard let method = command.httpMethod, let path = command.httpPath else { continue }
                if let problem = Self.problem(method: method, path: path) {
                    let note = "command '\(command.name)' of driver '\(pack.driver)': \(problem)"
                    if !rejected.contains(note) { rejected.append(note) }
                    continue
                }
                if let i = routes.firstIndex(where: { $0.method == method && $0.path == path }) {
                    if routes[i].commands[pack.id] == nil { routes[i].commands[pack.id] = command }
                } else {
                    routes.append(Route(method: method, path: path, commands: [pack.id: command], representative: command))
                }
            }
        }
    }

    /// No routes.
    public init() {}

    /// Why a described route cannot be served, or nil.
    static func problem(method: String, path: String) -> String? {
        guard method == "GET" || method == "POST" else { return "http_method must be GET or POST, not '\(method)'" }
        let allowed = path.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2F }
        guard !path.isEmpty, allowed, !path.hasPrefix("/"), !path.hasSuffix("/"), !path.contains("//") else {
            return "http_path '\(path)' must be [a-z0-9_/-]+ without a leading or trailing '/'"
        }
        let first = String(path.split(separator: "/").first ?? "")
        if first == "command" { return "http_path '\(path)' is the host's generic command route" }
        if reservedAliases.contains(first) { return "http_path '\(path)' starts with '\(first)', which the host's own routes use" }
        return nil
    }

    /// The command `pack` runs for `method` and `path`, or nil.
    public func command(pack: String, method: String, path: String) -> DriverCommand? {
        routes.first { $0.method == method && $0.path == path }?.commands[pack]
    }
}
