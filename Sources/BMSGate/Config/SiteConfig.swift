import CBMSDriver

/// A whole site: one YAML file.
public struct SiteConfig: Sendable {
    /// The file it was read from.
    public var file: String
    /// Site name (`site:`), used in topics and titles.
    public var site: String
    /// Extra plugin folders, searched first.
    public var pluginDirs: [String]
    public var buses: [BusConfig]
    public var packs: [PackConfig]
    public var banks: [BankConfig]
    public var sinks: [SinkConfig]
    /// Where `site:` is written (for problems with the name).
    public var siteLocation: SourceLocation? = nil
    /// Things that work but are probably not meant (printed by `check` and `run`).
    public var warnings: [ConfigIssue] = []
    /// Where the gateway keeps what must survive a restart (`state_dir:`, relative to the
    /// working directory); nil: nothing is kept.
    public var stateDir: String?
}

/// A bus: a transport the host owns.
public struct BusConfig: Sendable {
    public var id: String
    /// The bus type's settings (see `BusRegistry` for the types).
    public var settings: any BusSettings
    public var location: SourceLocation

    /// A bus with `settings`.
    public init(id: String, settings: any BusSettings, location: SourceLocation) {
        self.id = id
        self.settings = settings
        self.location = location
    }

    /// The bus's type name as in the YAML.
    public var typeName: String { type(of: settings).type }

    /// What the bus is (see `BusSettings.device`).
    public var device: String { settings.device(busID: id) }

    /// True when packs on this bus are I2C devices (real or emulated).
    public var isI2C: Bool { settings.transport == BMS_TRANSPORT_I2C.rawValue }

    /// True when packs on this bus are BLE devices (real or emulated).
    public var isBLE: Bool { settings.transport == BMS_TRANSPORT_BLE.rawValue }
}

/// A pack: one BMS at one address on one bus, read by one driver.
public struct PackConfig: Sendable {
    public var id: String
    public var driver: String
    public var bus: String
    /// Address as written ("1", "0x0B", a BLE MAC); "" when the bus has a single device.
    public var address: String
    public var pollInterval: Duration = .seconds(1)
    /// Per-transaction timeout.
    public var timeout: Duration = .seconds(1)
    /// True when the site file set `timeout` (otherwise a driver's default may apply).
    public var timeoutSet = false
    /// Immediate retries of a failed poll before it counts as failed.
    public var retries: Int = 1
    /// Cap of the doubling backoff after consecutive failures.
    public var maxBackoff: Duration = .seconds(30)
    /// Age after which the pack is offline; nil = the bank's, else 10 s.
    public var staleAfter: Duration?
    /// Writes through `command` are refused unless true.
    public var allowWrites: Bool = false
    /// Driver options.
    public var options: [(key: String, value: String)] = []
    /// Where each option's value is written (for option errors), by key.
    public var optionLocations: [String: SourceLocation] = [:]
    /// Where `address:` is written.
    public var addressLocation: SourceLocation?
    /// This pack's maxima for the bank's charge/discharge limits.
    public var limits = PackLimitsConfig()
    public var location: SourceLocation
    /// Where `driver:` is written (for "unknown driver" errors).
    public var driverLocation: SourceLocation

    /// A pack with default timing, no options and no limits.
    public init(id: String, driver: String, bus: String, address: String, location: SourceLocation) {
        self.id = id
        self.driver = driver
        self.bus = bus
        self.address = address
        self.location = location
        self.driverLocation = location
    }
}


/// A sink: where snapshots go.
public struct SinkConfig: Sendable {
    /// The sink type's settings (see `SinkRegistry` for the types).
    public var settings: any SinkSettings
    /// Bounded queue capacity between the site and this sink.
    public var queue: Int = 64
    public var location: SourceLocation

    /// The sink's type name as in the YAML.
    public var typeName: String { type(of: settings).type }
}

