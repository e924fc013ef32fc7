/// Settings of the `modbus-tcp` sink.
public struct ModbusSinkSettings: Sendable, Equatable {
    /// Register layouts.
    public enum Map: String, Sendable {
        /// SunSpec models 1, 802 (bank), 804 (per pack).
        case sunspec
        /// The flat map of docs/modbus-map.md.
        case simple
    }
    /// Listen address ("0.0.0.0", "::", "127.0.0.1").
    public var host = "0.0.0.0"
    public var port = 502
    public var map: Map = .sunspec
    /// Where `SunS` sits (sunspec map): 40000, 0 or 50000.
    public var base = 40000
    /// Who may connect (`max_connections` 32, `max_per_address`, `clients:`, `allow:`).
    public var connections = ConnectionPolicy(maxConnections: 32, maxPerAddress: ConnectionPolicy.defaultPerAddress(32))
    /// Open connections at most; a new client displaces the one idle the longest.
    public var maxConnections: Int? { connections.maxConnections }
    /// A connection with no request for this long is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// Unit ids set on the sink (`unit_id:`), bank id -> unit id; a bank not listed answers
    /// on its own `unit_id`.
    public var unitIds: [String: Int] = [:]

    /// The unit id `bank` answers on through this sink.
    public func unitId(of bank: BankConfig) -> Int { unitIds[bank.id] ?? bank.unitId }

    /// Defaults: 0.0.0.0:502, sunspec at 40000.
    public init() {}
}
