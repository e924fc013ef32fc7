import CBMSDriver
import Logging

/// The link of a sim bus.
public enum SimTransport: String, Sendable {
    case serial
    /// BLE with one characteristic for write and notify.
    case bleCombined = "ble-combined"
    /// BLE with separate write and notify characteristics (newer modules).
    case ble
    /// I2C transactions to the emulators (SMBus devices such as a gas gauge).
    case i2c
}

/// Settings of a `sim` bus: its packs are answered by their drivers' emulators, over a
/// pseudo-terminal (paced at `line_rate` like a real wire), emulated BLE peripherals or an
/// emulated I2C bus, so the real host code paths run without hardware.
public struct SimBusSettings: BusSettings {
    public static let type = "sim"
    /// Bytes are paced like a wire at this baud rate; nil = no pacing.
    public var lineRate: Int?
    /// How the packs are reached.
    public var link: SimTransport = .serial
    /// True when the site file set `transport:`; otherwise it follows the drivers on the bus
    /// (an I2C-only driver makes an i2c sim bus, a BLE-only one a ble bus).
    public var linkExplicit = false
    /// Options for every emulator on the bus (`emulator: {units: 2}`).
    public var emulatorOptions: [(key: String, value: String)] = []

    /// A serial sim line.
    public init(lineRate: Int? = nil) { self.lineRate = lineRate }

    public var simulated: Bool { true }

    public var transport: UInt32 {
        switch link {
        case .serial: BMS_TRANSPORT_SERIAL.rawValue
        case .ble, .bleCombined: BMS_TRANSPORT_BLE.rawValue
        case .i2c: BMS_TRANSPORT_I2C.rawValue
        }
    }

    public func device(busID: String) -> String { "sim:\(busID)" }

    var options: [(String, String)] { emulatorOptions.map { ($0.key, $0.value) } }

    public func makeTransports(_ bus: BusConfig, packs: [(PackConfig, LoadedDriver)], logger: Logger) throws(TransportError) -> [BusTransport] {
        switch link {
        case .i2c:
            let emulators = try packs.map { pack, driver throws(TransportError) in
                try EmulatorHandle(driver: driver, addresses: [pack.address], options: options)
            }
            return [BusTransport(I2CEmulatorTransport(emulators: emulators), kind: transport, packs: packs)]
        case .ble, .bleCombined:
            return try packs.map { pack, driver throws(TransportError) in
                guard let uuids = driver.bleUUIDs else { throw TransportError("driver '\(driver.id)' does not support BLE") }
                let emulator = try EmulatorHandle(driver: driver, addresses: [pack.address], options: options)
                let peripheral = GATTPeripheralEmulator(service: uuids.service, write: uuids.write, notify: uuids.notify,
                                                        layout: link == .bleCombined ? .combined : .separate, emulator: emulator, logger: logger)
                let t = BLETransport(address: pack.address, endpoint: "emulated ble \(pack.address) (bus \(bus.id), pack \(pack.id))",
                                     service: uuids.service, write: uuids.write, notify: uuids.notify, requestTimeoutMs: 5000,
                                     logger: logger) { () throws(TransportError) -> Int32 in
                    try peripheral.connect()
                }
                return BusTransport(t, kind: transport, packs: [(pack, driver)])
            }
        case .serial:
            // One emulator per driver, serving the addresses of its packs on this line.
            var byDriver: [(LoadedDriver, [String])] = []
            for (pack, driver) in packs {
                if let i = byDriver.firstIndex(where: { $0.0.id == driver.id }) {
                    byDriver[i].1.append(pack.address)
                } else {
                    byDriver.append((driver, [pack.address]))
                }
            }
            let emulators = try byDriver.map { driver, addresses throws(TransportError) in
                try EmulatorHandle(driver: driver, addresses: addresses, options: options)
            }
            let defaultBaud = packs.first?.1.defaultBaud ?? 9600
            let server = try EmulatorServer(emulators: emulators, lineRate: lineRate, logger: logger)
            // The driver's line settings apply as on a real port; DTR does not (a pty has no modem lines).
            var lineDefaults = packs.first?.1.serialDefaults ?? SerialLineDefaults()
            lineDefaults.dtr = nil
            let port = SerialPort(settings: SerialSettings(device: server.path, baud: lineRate ?? defaultBaud).applying(lineDefaults),
                                  defaultBaud: defaultBaud, logger: logger)
            return [BusTransport(port, kind: transport, packs: packs, emulatorServer: server)]
        }
    }

    static let registration = BusRegistration(SimBusSettings.self, keys: ["line_rate", "emulator", "transport"]) { section, id, d in
        var sim = SimBusSettings(lineRate: section.int("line_rate", in: 300...4_000_000))
        if let v = section.value("transport") {
            if let text = v.string, let t = SimTransport(rawValue: text) { sim.link = t; sim.linkExplicit = true } else {
                d.report(v, "'transport' of sim bus '\(id)' must be serial, ble (separate write/notify characteristics), ble-combined or i2c")
            }
        }
        if let node = section.value("emulator"), let o = YAMLSection(node, what: "emulator of bus '\(id)'", diagnostics: d) {
            for (k, v) in o.pairs {
                guard let key = k.string, case .scalar(let value) = v else {
                    d.report(v, "emulator options of bus '\(id)' must be key: value text pairs")
                    continue
                }
                sim.emulatorOptions.append((key, value.string))
            }
        }
        return sim
    }
}
