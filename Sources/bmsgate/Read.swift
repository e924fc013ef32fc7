import ArgumentParser
import BMSGate
import Foundation

/// `bmsgate read`: poll every pack once and print.
struct Read: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Poll the site's packs once and print the readings.",
        discussion: """
            Without a site file, as ubmsc users work: a BLE device by name or address, scanned for
            by name when needed, connected and read once:
              bmsgate read --driver jk-bms --ble UPS_BMS --format json-pretty --info
              bmsgate read --driver jk-bms --ble C8:47:8C:12:34:56 --cells --format toml
            """)

    /// The output formats.
    static let formats = ["table", "json", "json-pretty", "yaml", "toml", "toml-pretty", "metrics"]

    @Option(name: .shortAndLong, help: "The site file.")
    var config: String = "config.yaml"

    @Option(help: "Only this pack (repeatable).")
    var pack: [String] = []

    @Option(help: "table, json (JSON Lines, one pack per line), json-pretty, yaml, toml, toml-pretty or metrics (Prometheus text).")
    var format: String = "table"

    @Flag(help: "Print only each pack's device information (identity).")
    var info = false

    @Flag(help: "Print only each pack's cell data (cells, temperatures, totals; no identity or extras).")
    var cells = false

    @Option(help: "Without a site file: the driver of the --ble devices.")
    var driver: String?

    @Option(help: "Without a site file: a BLE device by address or advertised name (repeatable).")
    var ble: [String] = []

    @Option(help: "BLE adapter (with --ble).")
    var adapter = "hci0"

    @Option(name: .customLong("scan-timeout"), help: "Seconds to scan for devices given by name (with --ble).")
    var scanTimeout: Double = 30

    @Flag(help: "With --ble: read the driver's emulator behind an emulated BLE peripheral instead of a radio (no adapter needed).")
    var simulate = false

    @Option(help: "Give up on packs that have not answered after this many seconds.")
    var wait: Double = 10

    @OptionGroup var plugins: PluginOptions

    func run() throws {
        guard Self.formats.contains(format) else {
            printError("error: --format must be one of \(Self.formats.joined(separator: ", "))")
            throw ExitCode(2)
        }
        guard !(info && cells) || format != "table" else {
            printError("error: --info and --cells choose parts of the JSON, YAML or TOML forms; the table shows both")
            throw ExitCode(2)
        }
        let logger = plugins.logger()
        var (site, catalog) = try ble.isEmpty ? loadSite(config, plugins: plugins) : adHocSite()
        if !pack.isEmpty {
            for p in pack where !site.packs.contains(where: { $0.id == p }) {
                printError("error: no pack '\(p)' in \(config) (packs: \(site.packs.map(\.id).joined(separator: ", ")))")
                throw ExitCode(1)
            }
            site.packs = site.packs.filter { pack.contains($0.id) }
            site.banks = site.banks.filter { $0.packs.allSatisfy(pack.contains) }
        }
        site.sinks = []
        let gateway = try Gateway(config: site, catalog: catalog, logger: logger, sinkOverride: [])
        gateway.start()
        let deadline = Date().addingTimeInterval(wait)
        var seen = 0
        while Date() < deadline {
            if gateway.site.peek().packs.allSatisfy({ $0.sequence > 0 }) { break }
            seen = gateway.site.waitForChange(after: seen, timeout: .milliseconds(200))
        }
        gateway.stop()
        let snapshot = gateway.site.peek()
        let objects = snapshot.packs.map { ReadingParts.select($0.json, info: info, cells: cells) }
        switch format {
        case "json": for o in objects { print(o.render()) }
        case "json-pretty": for o in objects { print(o.renderPretty()) }
        case "yaml": print(try ReadingDocument.yaml(objects), terminator: "")
        case "toml", "toml-pretty": print(ReadingDocument.toml(objects, pretty: format == "toml-pretty"))
        case "metrics": print(PackMetrics.text(snapshot.packs), terminator: "")
        default: print(TableFormatter.render(snapshot), terminator: "")
        }
        if snapshot.packs.contains(where: { $0.reading == nil }) { throw ExitCode(1) }
    }

    /// A one-bus site for `--driver ID --ble NAME_OR_ADDRESS...`: names are resolved to
    /// addresses by an LE scan (not with --simulate, where every device is emulated).
    func adHocSite() throws -> (SiteConfig, DriverCatalog) {
        guard let driver else {
            printError("error: --ble needs --driver (e.g. --driver jk-bms)")
            throw ExitCode(2)
        }
        var addresses: [(id: String, address: String)] = []
        let names = ble.filter { !BLEAddressText.isAddress($0) }
        var resolved: [String: String] = [:]
        if !names.isEmpty {
            if simulate {
                for (i, n) in names.enumerated() { resolved[n] = String(format: "C8:47:8C:00:00:%02X", i + 1) }
            } else {
                printError("scanning for \(names.joined(separator: ", ")) on \(adapter) (up to \(Int(scanTimeout)) s)...")
                do {
                    let found = try BLEScanner.scan(adapter: adapter, timeout: .milliseconds(Int64(scanTimeout * 1000)), wanted: names)
                    for ad in found { if let name = ad.name, names.contains(name), resolved[name] == nil { resolved[name] = ad.address } }
                } catch {
                    printError("error: \(error.message)")
                    throw ExitCode(1)
                }
            }
            for n in names where resolved[n] == nil {
                printError("error: no BLE device named '\(n)' was seen in \(Int(scanTimeout)) s (bmsgate scan --ble lists what is around)")
                throw ExitCode(1)
            }
        }
        for item in ble {
            let address = BLEAddressText.isAddress(item) ? item.uppercased() : resolved[item]!
            addresses.append((id: ReadingParts.packID(item), address: address))
        }
        let bus = simulate ? "{id: radio, type: sim, transport: ble}" : "{id: radio, type: ble, adapter: \(adapter)}"
        let packs = addresses.map { "  - {id: \"\($0.id)\", driver: \(driver), bus: radio, address: \"\($0.address)\", timeout: 5s}" }
        let yaml = "site: read\nbuses: [\(bus)]\npacks:\n" + packs.joined(separator: "\n") + "\n"
        return try loadSite("(--ble)", plugins: plugins, yaml: yaml)
    }
}

/// BLE address text: six hex pairs separated by colons.
enum BLEAddressText {
    static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: ":")
        return parts.count == 6 && parts.allSatisfy { $0.count == 2 && $0.allSatisfy(\.isHexDigit) }
    }
}
