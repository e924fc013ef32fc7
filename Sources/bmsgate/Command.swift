import ArgumentParser
import BMSGate
import Foundation

/// `bmsgate command`: a vendor operation on one pack (the driver's `command` entry).
struct Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send a vendor command (JSON) to one pack's driver and print its JSON answer.",
        discussion: """
            The request is the driver's; writes need allow_writes: true on the pack and, for
            most drivers, "confirm": true in the request. Every command is logged.
            Examples (REC):
              bmsgate command --pack rec1 '{"op":"list"}'
              bmsgate command --pack rec1 '{"op":"get","instruction":"BVOL"}'
              bmsgate command --pack rec1 '{"op":"set","instruction":"BVOL","value":3.9,"confirm":true}'
            """)

    @Option(name: .shortAndLong, help: "The site file.")
    var config: String = "config.yaml"

    @Option(help: "The pack to address.")
    var pack: String

    @Option(help: "Give up after this many seconds.")
    var timeout: Double = 30

    @Argument(help: "The JSON request.")
    var request: String

    @OptionGroup var plugins: PluginOptions

    func run() throws {
        guard (try? JSONSerialization.jsonObject(with: Data(request.utf8))) is [String: Any] else {
            printError("error: the request must be a JSON object, e.g. '{\"op\":\"list\"}'")
            throw ExitCode(2)
        }
        let logger = plugins.logger()
        var (site, catalog) = try loadSite(config, plugins: plugins)
        guard let target = site.packs.first(where: { $0.id == pack }) else {
            printError("error: no pack '\(pack)' in \(config) (packs: \(site.packs.map(\.id).joined(separator: ", ")))")
            throw ExitCode(1)
        }
        site.packs = [target]
        site.banks = []
        site.sinks = []
        let gateway = try Gateway(config: site, catalog: catalog, logger: logger, sinkOverride: [])
        gateway.start()
        let result = gateway.command(pack: pack, request: request, timeout: .milliseconds(Int64(timeout * 1000)))
        gateway.stop()
        switch result {
        case .success(let answer):
            print(Redaction.redact(answer))
        case .failure(let failure):
            printError("error: pack \(pack): \(Redaction.redact(failure.message))")
            throw ExitCode(failure.kind == .forbidden ? 3 : 1)
        }
    }
}
