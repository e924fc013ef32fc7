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
        }
    }
}
