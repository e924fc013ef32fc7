import Logging

/// The settings of one sink type, as read from its YAML section. Each sink type is a folder
/// under Sinks/ with its settings, its sink and its `SinkRegistration`, listed once in
/// `SinkRegistry`: adding a sink type touches no switch statement.
public protocol SinkSettings: Sendable {
    /// The `type:` of its YAML section, e.g. "file".
    static var type: String { get }
    /// Problems with the rest of the site (a bank it needs, a name it cannot use), each
    /// with where to report it (nil: the sink's section). Default: none.
    func problems(in site: SiteConfig) -> [(message: String, at: SourceLocation?)]
    /// The TCP port it listens on, if any: two sinks cannot share one.
    var listenPort: Int? { get }
    /// The most client connections it holds at once, if it listens (for the descriptor budget).
    var maxConnections: Int? { get }
    /// The settings completed from the site (defaults that depend on banks). Default: self.
    func resolved(in site: SiteConfig) -> Self
    /// Things `check` and `run` print as warnings (allowed, but probably not meant). Default: none.
    func warnings(in site: SiteConfig) -> [String]
    /// The banks whose limits this sink hands to an inverter (nil: it feeds none). `check`
    /// warns about such a bank without current limits: the inverter would see 0 A.
    func inverterBanks(in site: SiteConfig) -> [String]?
}

extension SinkSettings {
    public func problems(in site: SiteConfig) -> [(message: String, at: SourceLocation?)] { [] }
    public var listenPort: Int? { nil }
    public var maxConnections: Int? { nil }
    public func resolved(in site: SiteConfig) -> Self { self }
    public func warnings(in site: SiteConfig) -> [String] { [] }
    public func inverterBanks(in site: SiteConfig) -> [String]? { nil }
}

/// The `check` warnings about banks that feed an inverter with no current limit set:
/// the bank's limit is missing and so is every pack's, so the inverter sees 0 A (unless
/// the packs report their own limits, as Pylontech-protocol packs do).
enum InverterLimitWarnings {
    static func warnings(for sink: any SinkSettings, in site: SiteConfig) -> [String] {
        guard let ids = sink.inverterBanks(in: site) else { return [] }
        var out: [String] = []
        for bank in site.banks where ids.contains(bank.id) {
            let packs = site.packs.filter { bank.packs.contains($0.id) }
            var missing: [String] = []
            if bank.limits.chargeCurrent == nil && packs.allSatisfy({ $0.limits.chargeCurrent == nil }) { missing.append("charge_current") }
            if bank.limits.dischargeCurrent == nil && packs.allSatisfy({ $0.limits.dischargeCurrent == nil }) { missing.append("discharge_current") }
            guard !missing.isEmpty else { continue }
            out.append("bank '\(bank.id)' feeds an inverter through this \(type(of: sink).type) sink but sets no \(missing.joined(separator: " or ")) limit (on the bank or its packs): the inverter will be allowed 0 A unless the packs report their own limits; set limits: {\(missing.map { "\($0): ..." }.joined(separator: ", "))} on the bank")
        }
        return out
    }
}

/// What a sink needs from the gateway to be built.
public struct SinkContext {
    /// The whole site.
    public var config: SiteConfig
    /// The live site (for the first snapshot).
    public var site: Site
    /// Snapshot, commands and counters for the HTTP API and pushes.
    public var access: GatewayAccess
    /// The loaded drivers (their command routes).
    public var catalog: DriverCatalog
    public var logger: Logger
    /// The gateway's clock (the one the site runs on).
    public var clock: any GatewayClock = SystemClock()
}

/// How a sink type is read and built: its YAML keys, a parser of its section, a factory.
struct SinkRegistration: Sendable {
    /// The YAML `type`.
    let type: String
    /// Keys of its section besides `type` and `queue`.
    let keys: [String]
    /// Whether `queue:` means the runner's queue (false when the sink has its own, e.g. MQTT's outbox).
    var runnerQueue = true
    /// Reads the section (unknown keys are already reported); nil when it is unusable.
    let parse: @Sendable (YAMLSection, ConfigDiagnostics) -> (any SinkSettings)?
    /// Builds the sink; throws a one-line reason (address taken, secret unreadable...).
    let make: @Sendable (any SinkSettings, SinkContext) throws -> Sink

    /// A registration for settings of type `S`.
    init<S: SinkSettings>(_: S.Type, keys: [String], runnerQueue: Bool = true,
                          parse: @escaping @Sendable (YAMLSection, ConfigDiagnostics) -> S?,
                          make: @escaping @Sendable (S, SinkContext) throws -> Sink) {
        type = S.type
        self.keys = keys
        self.runnerQueue = runnerQueue
        self.parse = { parse($0, $1) }
        self.make = { settings, context in
            guard let s = settings as? S else { throw TransportError("settings of another sink type") }
            return try make(s, context)
        }
    }
}

/// Every sink type the gateway knows, by `type`.
enum SinkRegistry {
    static let all: [SinkRegistration] = [
        StdoutSinkSettings.registration,
        FileSinkSettings.registration,
        ModbusSinkSettings.registration,
        MQTTSinkSettings.registration,
        HTTPSinkSettings.registration,
        PrometheusPushSettings.registration,
        CANSinkSettings.registration,
        PylonRS485Settings.registration,
    ]

    /// The registration of `type`, or nil.
    static func registration(_ type: String) -> SinkRegistration? { all.first { $0.type == type } }
}
