import ArgumentParser
import BMSGate

/// `bmsgate check CONFIG`: validate a site file.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a site file: exit 0, or print every error as FILE:LINE:COL: message and exit 1.")

    @Argument(help: "The site file.")
    var config: String

    @OptionGroup var plugins: PluginOptions

    func run() throws {
        let (site, _) = try loadSite(config, plugins: plugins)
        print("\(config): ok (\(site.buses.count) bus(es), \(site.packs.count) pack(s), \(site.banks.count) bank(s), \(site.sinks.count) sink(s))")
    }
}
