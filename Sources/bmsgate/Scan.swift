import ArgumentParser
import BMSGate
import CBMSDriver
import Foundation

/// `bmsgate scan`: find devices on a bus.
struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find devices: RS485 addresses on a serial port or TCP bridge, or BLE devices around.",
        discussion: """
            Examples:
              bmsgate scan --ble                       (30 s LE scan on hci0)
              bmsgate scan --ble --timeout 10 --filter JK-B2A8S20P --filter C8:47:8C:12:34:56
              bmsgate scan --ble --compatible          (only devices a loaded driver fits)
              bmsgate scan --driver basen --device /dev/ttyUSB0
              bmsgate scan --driver basen --tcp 192.168.1.50:8899 --from 1 --to 8
              bmsgate scan --driver basen --config config.yaml --bus rack
            """)

    @Option(help: "Driver id whose protocol is used to probe (RS485 scans).")
    var driver: String?

    @Flag(help: "Scan for Bluetooth LE devices instead.")
    var ble = false

    @Flag(help: "BLE: show only the devices a loaded driver recognises (by advertised name or service; with --driver, that driver's).")
    var compatible = false

    @Flag(help: "List the I2C buses (/dev/i2c-N, or --device) and the addresses that answer on each.")
    var i2c = false

    @Option(help: "BLE adapter.")
    var adapter = "hci0"

    @Option(help: "BLE: only these devices, by address or name (repeatable); the scan ends when all are seen.")
    var filter: [String] = []

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

    @Option(help: "First address (default: the driver's, 1 for most).")
    var from: Int?

    @Option(help: "Last address (default: the driver's, 16 for most).")
    var to: Int?

    @Option(name: .customLong("option"), help: "A driver scan option KEY=VALUE (repeatable), e.g. stack=off for pylontech.")
    var options: [String] = []

    @Option(help: "RS485: per-address answer timeout in milliseconds (300). BLE: scan time in seconds (30).")
    var timeout: Double?

    @OptionGroup var plugins: PluginOptions

    func run() throws {
        if ble { return try scanBLE() }
        if i2c { return try scanI2C(device.map { [$0] } ?? I2CDevice.buses().map(\.path)) }
        guard let driver else {
            printError("error: give --driver ID for an RS485 scan (or --ble)")
            throw ExitCode(2)
        }
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
            if b.settings.simulated {
                printError("error: bus '\(bus)' is simulated; scan the path printed by `bmsgate simulate` instead")
                throw ExitCode(1)
            }
            switch b.settings.transport {
            case BMS_TRANSPORT_BLE.rawValue:
                printError("error: bus '\(bus)' is a BLE bus: use `bmsgate scan --ble`")
                throw ExitCode(1)
            case BMS_TRANSPORT_I2C.rawValue:
                return try scanI2C([b.device])
            default:
                let group = try b.settings.makeTransports(b, packs: [], logger: logger).first
                transport = group?.transport
                kind = group?.kind ?? kind
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
        var pairs = try keyValueOptions(options)
        if let from { pairs.append(("from", String(from))) }
        if let to { pairs.append(("to", String(to))) }
        let range = from == nil && to == nil ? "" : " addresses \(from.map(String.init) ?? "")...\(to.map(String.init) ?? "")"
        printError("scanning \(transport.endpoint)\(range) with \(driver)...")
        let result = DriverTools.scan(driver: loaded, transport: transport, transportKind: kind,
                                      timeout: .milliseconds(Int64(timeout ?? 300)),
                                      options: pairs, logger: logger)
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

    func scanBLE() throws {
        let seconds = timeout ?? 30
        let catalog = plugins.catalog(extra: [])
        if let driver, catalog.driver(driver) == nil {
            printError("error: no driver '\(driver)' loaded (loaded: \(catalog.drivers.map(\.id).joined(separator: ", ")))")
            throw ExitCode(2)
        }
        let candidates = catalog.drivers.filter { driver == nil || $0.id == driver }
        let onlyFitting = compatible || driver != nil
        func fits(_ ad: BLEAdvertisement) -> [String] { BLEDriverMatch.drivers(for: ad, in: candidates) }
        func shown(_ ad: BLEAdvertisement) -> Bool {
            (filter.isEmpty || filter.contains(where: ad.matches)) && (!onlyFitting || !fits(ad).isEmpty)
        }
        printError("scanning for BLE devices on \(adapter) for \(Int(seconds)) s\(filter.isEmpty ? "" : " (looking for \(filter.joined(separator: ", ")))")...")
        do {
            let found = try BLEScanner.scan(adapter: adapter, timeout: .milliseconds(Int64(seconds * 1000)), wanted: filter) { ad in
                guard shown(ad) else { return }
                print(Self.line(ad, drivers: fits(ad)))
            }
            let listed = found.filter(shown)
            printError("\(listed.count) device(s) found\(onlyFitting ? " that a driver fits" : "")")
            if listed.isEmpty { throw ExitCode(1) }
        } catch let error as TransportError {
            printError("error: \(error.message)")
            throw ExitCode(1)
        }
    }

    /// `ADDRESS  NAME  RSSI dBm  [services ...]  [driver ID,...]`, tab-separated.
    static func line(_ ad: BLEAdvertisement, drivers: [String]) -> String {
        let services = ad.services.map(\.description).joined(separator: ",")
        return "\(ad.address)\t\(ad.name ?? "-")\t\(ad.rssi) dBm\(services.isEmpty ? "" : "\tservices \(services)")"
            + (drivers.isEmpty ? "" : "\tdriver \(drivers.joined(separator: ","))")
    }

    func scanI2C(_ paths: [String]) throws {
        guard !paths.isEmpty else {
            printError("error: no I2C buses on this machine (/dev/i2c-* missing: load the i2c-dev module, enable the bus)")
            throw ExitCode(1)
        }
        var found = 0
        for path in paths {
            let bus = I2CDevice(path: path, retries: 0)
            do {
                try bus.open()
            } catch {
                printError("\(path): \(error.message)")
                continue
            }
            let addresses = bus.probe()
            bus.close()
            found += addresses.count
            print("\(path)\t\(addresses.isEmpty ? "-" : addresses.map { "0x" + String(format: "%02X", $0) }.joined(separator: " "))")
        }
        printError("\(found) device(s) found")
        if found == 0 { throw ExitCode(1) }
    }
}
