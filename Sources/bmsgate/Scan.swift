import ArgumentParser
import BMSGate
import CBMSDriver
import Foundation

/// `bmsgate scan`: find devices on a bus.
struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find devices: RS485 addresses on a serial port or TCP bridge.",
        discussion: """
            Examples:
              bmsgate scan --driver basen --device /dev/ttyUSB0
              bmsgate scan --driver basen --tcp 192.168.1.50:8899 --from 1 --to 8
              bmsgate scan --driver basen --config config.yaml --bus rack
            """)

    @Option(help: "Driver id whose protocol is used to probe.")
    var driver: String

    @Option(help: "Serial device to scan.")
    var device: String?

    @Option(help: "Baud rate (default: the driver's).")
    var baud: Int?

    @Option(help: "A TCP serial bridge HOST:PORT to scan.")
    var tcp: String?

    @Option(name: .shortAndLong, help: "A site file whose bus to scan (with --bus).")
    var config: String?

    @Option(help: "Bus id in the site file.")
    var bus: String?

    @Option(help: "First address.")
    var from: Int = 1

    @Option(help: "Last address.")
    var to: Int = 16

    @Option(help: "Per-address answer timeout in milliseconds.")
    var timeout: Int = 300

    @OptionGroup var plugins: PluginOptions

    func run() throws {
        let logger = plugins.logger()
        var extraDirs: [String] = []
        var transport: ByteTransport?
        var kind = BMS_TRANSPORT_SERIAL.rawValue
        if let config, let bus {
            let site = try loadSite(config, plugins: plugins).0
            extraDirs = site.pluginDirs
            guard let b = site.buses.first(where: { $0.id == bus }) else {
                printError("error: no bus '\(bus)' in \(config)")
                throw ExitCode(1)
            }
            switch b.kind {
            case .serial(let s): transport = SerialPort(settings: s, defaultBaud: 9600)
            case .tcp(let host, let port, let t):
                transport = TCPConnection(host: host, port: port, connectTimeout: t)
                kind = BMS_TRANSPORT_TCP.rawValue
            case .sim:
                printError("error: bus '\(bus)' is simulated; scan the path printed by `bmsgate simulate` instead")
                throw ExitCode(1)
            }
        }
        let catalog = plugins.catalog(extra: extraDirs)
        guard let loaded = catalog.driver(driver) else {
            printError("error: no driver '\(driver)' loaded (loaded: \(catalog.drivers.map(\.id).joined(separator: ", ")))")
            throw ExitCode(1)
        }
        if let device {
            transport = SerialPort(settings: SerialSettings(device: device, baud: baud), defaultBaud: loaded.defaultBaud)
        } else if let tcp {
            let parts = tcp.split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1]) else {
                printError("error: --tcp must be HOST:PORT")
                throw ExitCode(2)
            }
            transport = TCPConnection(host: String(parts[0]), port: port, connectTimeout: .seconds(3))
            kind = BMS_TRANSPORT_TCP.rawValue
        }
        guard let transport else {
            printError("error: give --device, --tcp, or --config with --bus")
            throw ExitCode(2)
        }
        printError("scanning \(transport.endpoint) addresses \(from)...\(to) with \(driver)...")
        let result = DriverTools.scan(driver: loaded, transport: transport, transportKind: kind,
                                      timeout: .milliseconds(Int64(timeout)),
                                      options: [("from", String(from)), ("to", String(to))], logger: logger)
        switch result {
        case .success(let found):
            for f in found { print("\(f.address)\t\(f.description)") }
            printError("\(found.count) device(s) found")
            if found.isEmpty { throw ExitCode(1) }
        case .failure(let failure):
            printError("error: \(failure.message)")
            throw ExitCode(1)
        }
    }
}
