import ArgumentParser
import BMSGate
import Foundation

/// `bmsgate run`: the daemon.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway on a site file until SIGINT/SIGTERM.")

    @Option(name: .shortAndLong, help: "The site file.")
    var config: String = "config.yaml"

    @OptionGroup var plugins: PluginOptions

    func run() throws {
        blockStopSignals()
        let logger = plugins.logger()
        let (site, catalog) = try loadSite(config, plugins: plugins)
        for failure in catalog.failures { logger.warning("plugin not loaded: \(failure)") }
        let gateway: Gateway
        do {
            gateway = try Gateway(config: site, catalog: catalog, logger: logger)
        } catch {
            printError("\(config): \(error)")
            throw ExitCode(1)
        }
        gateway.start()
        let signal = waitForStopSignal()
        logger.info("\(signal): stopping")
        gateway.stop()
    }
}
