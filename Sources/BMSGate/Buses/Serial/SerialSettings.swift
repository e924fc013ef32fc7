import CBMSDriver
import Logging

/// Settings of a `serial` bus: termios settings of a local port (RS485/RS232/UART).
public struct SerialSettings: BusSettings, Equatable {
    public static let type = "serial"
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
    /// Raise (true) or drop (false) DTR after opening; nil leaves it as the port opens.
    public var dtr: Bool?
    /// The keys the site file set (parity, data_bits, stop_bits, dtr): a driver's
    /// defaults fill only the others.
    public var explicit: Set<String> = []

    /// Settings for `device`, 8N1, at `baud` (nil = the driver's default).
    public init(device: String, baud: Int? = nil) {
        self.device = device
        self.baud = baud
    }

    public var transport: UInt32 { BMS_TRANSPORT_SERIAL.rawValue }
    public func device(busID: String) -> String { device }

    public func makeTransports(_ bus: BusConfig, packs: [(PackConfig, LoadedDriver)], logger: Logger) throws(TransportError) -> [BusTransport] {
        let settings = applying(packs.first?.1.serialDefaults ?? SerialLineDefaults())
        return [BusTransport(SerialPort(settings: settings, defaultBaud: packs.first?.1.defaultBaud ?? 9600, logger: logger), kind: transport, packs: packs)]
    }

    /// These settings with a driver's defaults where the site file set nothing.
    public func applying(_ defaults: SerialLineDefaults) -> SerialSettings {
        var s = self
        if !explicit.contains("parity"), let p = defaults.parity { s.parity = p }
        if !explicit.contains("data_bits"), let n = defaults.dataBits { s.dataBits = n }
        if !explicit.contains("stop_bits"), let n = defaults.stopBits { s.stopBits = n }
        if !explicit.contains("dtr"), let d = defaults.dtr { s.dtr = d }
        return s
    }

    static let registration = BusRegistration(
        SerialSettings.self, keys: ["device", "baud", "parity", "data_bits", "stop_bits", "turnaround", "rs485", "dtr"]
    ) { section, id, d in
        guard let device = section.string("device", required: true) else { return nil }
        var serial = SerialSettings(device: device)
        serial.baud = section.int("baud", in: 50...4_000_000)
        if let p = section.value("parity") {
            switch p.string?.lowercased() {
            case "none", "n": serial.parity = "none"
            case "even", "e": serial.parity = "even"
            case "odd", "o": serial.parity = "odd"
            default: d.report(p, "'parity' in bus '\(id)' must be none, even or odd")
            }
        }
        serial.dataBits = section.int("data_bits", in: 5...8) ?? 8
        serial.stopBits = section.int("stop_bits", in: 1...2) ?? 1
        serial.turnaround = section.duration("turnaround") ?? .zero
        serial.rs485 = section.bool("rs485") ?? false
        serial.dtr = section.bool("dtr")
        serial.explicit = Set(["parity", "data_bits", "stop_bits", "dtr"].filter { section.value($0) != nil })
        return serial
    }
}
