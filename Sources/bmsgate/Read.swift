import ArgumentParser
import BMSGate
import Foundation

/// `bmsgate read`: poll every pack once and print.
struct Read: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Poll the site's packs once and print the readings.")

    @Option(name: .shortAndLong, help: "The site file.")
    var config: String = "config.yaml"

    @Option(help: "Only this pack (repeatable).")
    var pack: [String] = []

    @Option(help: "table, json (JSON Lines, one pack per line), yaml, toml or metrics (Prometheus text).")
    var format: String = "table"

    @Option(help: "Give up on packs that have not answered after this many seconds.")
    var wait: Double = 10

    @OptionGroup var plugins: PluginOptions

    func run() throws {
        guard ["table", "json", "yaml", "toml", "metrics"].contains(format) else {
            printError("error: --format must be table, json, yaml, toml or metrics")
            throw ExitCode(2)
        }
        let logger = plugins.logger()
        var (site, catalog) = try loadSite(config, plugins: plugins)
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
            if gateway.site.snapshot().packs.allSatisfy({ $0.sequence > 0 }) { break }
            seen = gateway.site.waitForChange(after: seen, timeout: .milliseconds(200))
        }
        gateway.stop()
        let snapshot = gateway.site.snapshot()
        switch format {
        case "json": for p in snapshot.packs { print(p.json.render()) }
        case "yaml": print(try ReadingDocument.yaml(snapshot.packs), terminator: "")
        case "toml": print(ReadingDocument.toml(snapshot.packs))
        case "metrics": print(PackMetrics.text(snapshot.packs), terminator: "")
        default: print(TableFormatter.render(snapshot), terminator: "")
        }
        if snapshot.packs.contains(where: { $0.reading == nil }) { throw ExitCode(1) }
    }
}
