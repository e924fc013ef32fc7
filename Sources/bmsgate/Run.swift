import ArgumentParser
import BMSGate
import Foundation
import ServiceLifecycle

/// `bmsgate run`: the daemon, a `GatewayService` in a `ServiceGroup` that takes SIGTERM and
/// SIGINT as graceful shutdown.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway on a site file until SIGINT/SIGTERM.")

    @Option(name: .shortAndLong, help: "The site file.")
    var config: String = "config.yaml"

    @OptionGroup var plugins: PluginOptions

    func run() async throws {
        let logger = plugins.logger()
        let (site, catalog) = try loadSite(config, plugins: plugins, probed: true)
        for failure in catalog.failures { logger.warning("plugin not loaded: \(failure)") }
        let gateway: Gateway
        do {
            gateway = try Gateway(config: site, catalog: catalog, logger: logger)
        } catch {
            printError("\(config): \(error)")
            throw ExitCode(1)
        }
        let group = ServiceGroup(configuration: .init(services: [GatewayService(gateway: gateway, logger: logger)],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
