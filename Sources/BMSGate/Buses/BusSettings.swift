import CBMSDriver
import Logging

/// The settings of one bus type, as read from its YAML section. Each bus type is a folder
/// under Buses/ with its settings, its transport and its `BusRegistration`, listed once in
/// `BusRegistry`: adding a bus type touches no switch statement.
public protocol BusSettings: Sendable {
    /// The `type:` of its YAML section, e.g. "serial".
    static var type: String { get }
    /// The link packs on it get (`bms_transport`: serial, tcp, i2c or ble).
    var transport: UInt32 { get }
    /// True when its packs are served by their drivers' emulators (`type: sim`).
    var simulated: Bool { get }
    /// What the bus is, for diagnostics and `bms_link.bus_device`: a device path, host:port,
    /// a BLE adapter, "sim:<bus id>".
    func device(busID: String) -> String
    /// The transports of the bus: one shared by its packs (their transactions serialized on
    /// one thread), or one per pack where devices are separate connections (BLE).
    func makeTransports(_ bus: BusConfig, packs: [(PackConfig, LoadedDriver)], logger: Logger) throws(TransportError) -> [BusTransport]
}

extension BusSettings {
    public var simulated: Bool { false }
}

/// A transport and the packs that share it.
public struct BusTransport {
    public var transport: ByteTransport
    /// The `bms_transport` the drivers see.
    public var kind: UInt32
    public var packs: [(PackConfig, LoadedDriver)]
    /// The emulator server of a simulated serial line (kept alive with the bus).
    public var emulatorServer: EmulatorServer?

    /// A transport shared by `packs`.
    public init(_ transport: ByteTransport, kind: UInt32, packs: [(PackConfig, LoadedDriver)], emulatorServer: EmulatorServer? = nil) {
        self.transport = transport
        self.kind = kind
        self.packs = packs
        self.emulatorServer = emulatorServer
    }
}

/// How a bus type is read: its YAML keys and a parser of its section.
struct BusRegistration: Sendable {
    let type: String
    /// Keys of its section besides `id` and `type`.
    let keys: [String]
    /// Reads the section (unknown keys are already reported); nil when unusable.
    let parse: @Sendable (YAMLSection, String, ConfigDiagnostics) -> (any BusSettings)?

    /// A registration for settings of type `S`; `parse` gets the section, the bus id and the diagnostics.
    init<S: BusSettings>(_: S.Type, keys: [String], parse: @escaping @Sendable (YAMLSection, String, ConfigDiagnostics) -> S?) {
        type = S.type
        self.keys = keys
        self.parse = { parse($0, $1, $2) }
    }
}

/// Every bus type the gateway knows, by `type`.
enum BusRegistry {
    static let all: [BusRegistration] = [
        SerialSettings.registration,
        TCPBusSettings.registration,
        SimBusSettings.registration,
        BLEBusSettings.registration,
        I2CBusSettings.registration,
    ]

    /// The registration of `type`, or nil.
    static func registration(_ type: String) -> BusRegistration? { all.first { $0.type == type } }
}
