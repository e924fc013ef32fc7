import CBMSDriver
import Logging

/// Builds the transport (and, for sim buses, the emulator server) of a bus.
enum BusFactory {
    static func make(bus: BusConfig, packs: [(PackConfig, LoadedDriver)], logger: Logger) throws(TransportError)
        -> (ByteTransport, UInt32, EmulatorServer?) {
        let defaultBaud = packs.first?.1.defaultBaud ?? 9600
        switch bus.kind {
        case .serial(let settings):
            return (SerialPort(settings: settings, defaultBaud: defaultBaud), BMS_TRANSPORT_SERIAL.rawValue, nil)
        case .tcp(let host, let port, let timeout):
            return (TCPConnection(host: host, port: port, connectTimeout: timeout), BMS_TRANSPORT_TCP.rawValue, nil)
        case .i2c(let device, let retries):
            return (I2CDevice(path: device, retries: retries), BMS_TRANSPORT_I2C.rawValue, nil)
        case .sim where bus.simTransport == .i2c:
            let emulators = try packs.map { pack, driver throws(TransportError) in
                try EmulatorHandle(driver: driver, addresses: [pack.address], options: bus.emulatorOptions.map { ($0.key, $0.value) })
            }
            return (I2CEmulatorTransport(emulators: emulators), BMS_TRANSPORT_I2C.rawValue, nil)
        case .sim(let lineRate):
            var byDriver: [(LoadedDriver, [String])] = []
            for (pack, driver) in packs {
                if let i = byDriver.firstIndex(where: { $0.0.id == driver.id }) {
                    byDriver[i].1.append(pack.address)
                } else {
                    byDriver.append((driver, [pack.address]))
                }
            }
            let emulators = try byDriver.map { driver, addresses throws(TransportError) in
                try EmulatorHandle(driver: driver, addresses: addresses, options: bus.emulatorOptions.map { ($0.key, $0.value) })
            }
            let server = try EmulatorServer(emulators: emulators, lineRate: lineRate, logger: logger)
            let settings = SerialSettings(device: server.path, baud: lineRate ?? defaultBaud)
            return (SerialPort(settings: settings, defaultBaud: defaultBaud), BMS_TRANSPORT_SERIAL.rawValue, server)
        case .ble:
            throw TransportError("BLE buses have one transport per pack (makeBLE)")
        }
    }

    /// The transport of one pack on a BLE bus: an L2CAP connection through the adapter, or
    /// on a sim bus with `transport: ble` a socketpair to an emulated GATT peripheral in
    /// front of the driver's emulator.
    static func makeBLE(bus: BusConfig, pack: PackConfig, driver: LoadedDriver, logger: Logger) throws(TransportError) -> BLETransport {
        guard let uuids = driver.bleUUIDs else { throw TransportError("driver '\(driver.id)' does not support BLE") }
        let endpoint = "ble \(pack.address) (bus \(bus.id), pack \(pack.id))"
        switch bus.kind {
        case .ble(let settings):
            let connectMs = Int(settings.connectTimeout.milliseconds)
            return BLETransport(address: pack.address, endpoint: endpoint, service: uuids.service, write: uuids.write, notify: uuids.notify,
                                requestTimeoutMs: Int(settings.requestTimeout.milliseconds), logger: logger) { () throws(TransportError) -> Int32 in
                try L2CAPConnector.connect(adapter: settings.adapter, address: pack.address, randomAddress: settings.randomAddress,
                                           timeoutMs: connectMs)
            }
        default:
            let emulator = try EmulatorHandle(driver: driver, addresses: [pack.address], options: bus.emulatorOptions.map { ($0.key, $0.value) })
            let peripheral = GATTPeripheralEmulator(service: uuids.service, write: uuids.write, notify: uuids.notify,
                                                    layout: bus.simTransport == .bleCombined ? .combined : .separate,
                                                    emulator: emulator, logger: logger)
            return BLETransport(address: pack.address, endpoint: "emulated " + endpoint, service: uuids.service, write: uuids.write,
                                notify: uuids.notify, requestTimeoutMs: 5000, logger: logger) { () throws(TransportError) -> Int32 in
                try peripheral.connect()
            }
        }
    }
}
