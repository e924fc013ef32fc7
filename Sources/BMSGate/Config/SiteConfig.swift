
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
}

/// A bus: a transport the host owns.
public struct BusConfig: Sendable {
    /// What kind of transport.
    public enum Kind: Sendable {
        /// A local serial port.
        case serial(SerialSettings)
        /// A TCP connection to a serial bridge.
        case tcp(host: String, port: Int, connectTimeout: Duration)
        /// Packs answered by their driver's emulator behind a pseudo-terminal;
        /// `lineRate` (baud) paces the bytes like a real wire, nil = no pacing.
        case sim(lineRate: Int?)
        /// Bluetooth LE through a local adapter; each pack is one device (its `address`).
        case ble(BLEBusSettings)
        /// Linux i2c-dev (`/dev/i2c-N`); packs are 7-bit addresses.
        case i2c(device: String, retries: Int)
    }
    public var id: String
    public var kind: Kind
    public var location: SourceLocation
    /// Options for the emulators of a sim bus (`emulator: {units: 2}`), passed to every
    /// driver's emulator on it.
    public var emulatorOptions: [(key: String, value: String)] = []
    /// How the packs of a sim bus are reached: a serial line (default) or BLE (each pack an
    /// emulated peripheral behind a socketpair that carries ATT, with the real GATT client).
    public var simTransport: SimTransport = .serial

    /// What the bus is, for diagnostics and `bms_link.bus_device`: the device path, host:port,
    /// the BLE adapter, or "sim:<id>".
    public var device: String {
        switch kind {
        case .serial(let s): return s.device
        case .tcp(let host, let port, _): return "\(host):\(port)"
        case .sim: return "sim:\(id)"
        case .ble(let b): return b.adapter
        case .i2c(let device, _): return device
        }
    }

    /// A bus of `kind`.
    public init(id: String, kind: Kind, location: SourceLocation) {
        self.id = id
        self.kind = kind
        self.location = location
    }

    /// True when packs on this bus are I2C devices (real or emulated).
    public var isI2C: Bool {
        if case .i2c = kind { return true }
        return simTransport == .i2c
    }

    /// True when packs on this bus are BLE devices (real or emulated).
    public var isBLE: Bool {
        if case .ble = kind { return true }
        return simTransport == .ble || simTransport == .bleCombined
    }
}

/// The link of a sim bus.
public enum SimTransport: String, Sendable {
    case serial
    /// BLE with one characteristic for write and notify.
    case bleCombined = "ble-combined"
    /// BLE with separate write and notify characteristics (newer modules).
    case ble
    /// I2C transactions to the emulators (SMBus devices such as the LC30's gauge).
    case i2c
}

/// Settings of a `ble` bus.
public struct BLEBusSettings: Sendable, Equatable {
    /// The local adapter.
    public var adapter = "hci0"
    /// LE random addresses instead of public ones.
    public var randomAddress = false
    /// Time to connect.
    public var connectTimeout: Duration = .seconds(10)
    /// Time for each ATT request during discovery.
    public var requestTimeout: Duration = .seconds(5)

    /// hci0, public addresses, 10 s connect, 5 s requests.
    public init() {}
}

/// termios settings of a serial bus.
public struct SerialSettings: Sendable, Equatable {
    /// Device path, e.g. /dev/ttyUSB0.
    public var device: String
    /// Baud rate; nil = the driver's default.
    public var baud: Int?
    /// "none", "even" or "odd".
    public var parity: String = "none"
    /// 5...8.
    public var dataBits: Int = 8
    /// 1 or 2.
    public var stopBits: Int = 1
    /// Quiet time between the end of a request and listening (half-duplex RS485 turnaround).
    public var turnaround: Duration = .zero
    /// Ask the kernel driver for RS485 mode (TIOCSRS485) with RTS direction control.
    public var rs485: Bool = false

    /// Settings for `device`, 8N1, at `baud` (nil = the driver's default).
    public init(device: String, baud: Int? = nil) {
        self.device = device
        self.baud = baud
    }
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

