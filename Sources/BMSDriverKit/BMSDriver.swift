import CBMSDriver

/// Static description of a driver: what `bmsgate drivers` lists.
public struct DriverDescription: Sendable {
    /// Driver id used in the YAML, e.g. "basen".
    public var id: String
    /// Vendor / product family.
    public var vendor: String
    /// Driver version.
    public var version: String
    /// One-line description.
    public var summary: String
    /// Supported transports (`bms_transport` bits).
    public var transports: UInt32
    /// Default serial baud rate.
    public var defaultBaud: UInt32
    /// BLE UUIDs (service, notify, write) when BLE is supported.
    public var bleService: String?
    public var bleNotify: String?
    public var bleWrite: String?
    /// The vendor commands `command` understands (with their HTTP routes).
    public var commands: [CommandDescriptor]
    /// The options `init(link:options:)` accepts; `address` describes the pack address.
    public var options: [OptionDescriptor]
    /// Names the devices advertise over BLE (patterns with `*` and `?`, e.g. "JK-*").
    public var bleNames: [String]
    /// Serial line defaults beyond the baud rate, in order (parity, data_bits, stop_bits,
    /// dtr, timeout_ms; see `serial_defaults` in bms_driver.h).
    public var serialDefaults: [(key: String, value: String)]

    /// Describes a driver.
    public init(id: String, vendor: String, version: String, summary: String, transports: UInt32,
                defaultBaud: UInt32 = 9600, bleService: String? = nil, bleNotify: String? = nil,
                bleWrite: String? = nil, bleNames: [String] = [], serialDefaults: [(key: String, value: String)] = [],
                commands: [CommandDescriptor] = [], options: [OptionDescriptor] = []) {
        self.commands = commands
        self.bleNames = bleNames
        self.serialDefaults = serialDefaults
        self.options = options
        self.id = id
        self.vendor = vendor
        self.version = version
        self.summary = summary
        self.transports = transports
        self.defaultBaud = defaultBaud
        self.bleService = bleService
        self.bleNotify = bleNotify
        self.bleWrite = bleWrite
    }
}

/// A driver written in Swift: one type, its frame codec and its emulator.
/// `DriverExport.table(for:)` turns it into the C table the host loads.
public protocol BMSDriver: AnyObject {
    /// What the driver is.
    static var description: DriverDescription { get }
    /// Opens one pack on a link. Throws `invalid` for unknown options.
    init(link: Link, options: DriverOptions) throws(DriverError)
    /// Polls the pack once.
    func poll() throws(DriverError) -> DriverReading
    /// Reads the device identity.
    func identify() throws(DriverError) -> DriverIdentity
    /// A vendor operation as JSON request/response.
    func command(_ requestJSON: String) throws(DriverError) -> String
    /// Called once before the instance is released.
    func close()
    /// Finds devices on a bus, calling `found(address, description)` for each.
    static func discover(link: Link, options: DriverOptions,
                         found: (String, String) -> Void) throws(DriverError)
    /// Decodes captured frames, in order, into a reading and an identity.
    static func decode(frames: [[UInt8]], options: DriverOptions) throws(DriverError)
        -> (DriverReading, DriverIdentity)
}

extension BMSDriver {
    /// Default: no identity beyond what polls give.
    public func identify() throws(DriverError) -> DriverIdentity { DriverIdentity() }
    /// Default: no vendor operations.
    public func command(_ requestJSON: String) throws(DriverError) -> String {
        throw .unsupported("\(Self.description.id) has no commands")
    }
    /// Default: nothing to release.
    public func close() {}
    /// Default: discovery unsupported.
    public static func discover(link: Link, options: DriverOptions,
                                found: (String, String) -> Void) throws(DriverError) {
        throw .unsupported("\(description.id) cannot scan")
    }
}

/// A device emulator written in Swift (see `bms_emulator_ops`).
public protocol BMSEmulator: AnyObject {
    /// Creates the emulator; options include "addresses" (comma-separated).
    init(options: DriverOptions) throws(DriverError)
    /// Feeds received bytes (any chunking) and returns the bytes to send back.
    func exchange(_ input: [UInt8]) -> [UInt8]
    /// Applies a one-line control command and returns a one-line answer.
    func control(_ command: String) -> String
}
