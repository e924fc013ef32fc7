import ArgumentParser
import BMSGate
import Foundation

/// `bmsgate init`: write a commented starting site file.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a commented starting site file for the buses and packs you name.",
        discussion: """
            Examples:
              bmsgate init --bus rs=/dev/ttyUSB0 --pack basen:rs:1 --pack basen:rs:2 -o site.yaml
              bmsgate init --bus radio=hci0 --pack jk-bms:radio:C8:47:8C:12:34:56
              bmsgate init --bus lab=sim --pack daly:lab:1 --pack daly:lab:2
              bmsgate init --bus rec=/dev/ttyUSB0 --pack rec-bms:rec:1 --mqtt-from rec-bms-instructionset.json
            A bus is ID=DEVICE: a serial device, HOST:PORT (TCP bridge), hciN (BLE), /dev/i2c-N or sim.
            """)

    @Option(help: "A bus, ID=DEVICE (repeatable).")
    var bus: [String] = []

    @Option(help: "A pack, DRIVER:BUS[:ADDRESS] (repeatable).")
    var pack: [String] = []

    @Option(name: .customLong("mqtt-from"), help: "An mqtt sink from a JSON file's MQTT block (Server, Port, Frequency, TopicPrefix, Retain, Username; e.g. a REC instruction set). The password is never copied.")
    var mqttFrom: String?

    @Option(help: "The site name.")
    var site = "home"

    @Option(name: .shortAndLong, help: "Write here instead of stdout.")
    var output: String?

    @Flag(help: "Replace an existing --output file.")
    var force = false

    @OptionGroup var plugins: PluginOptions

    func run() throws {
        var template = SiteTemplate()
        template.site = site
        do {
            template.buses = try bus.map { text throws(SiteTemplateError) in try SiteTemplate.bus(text) }
            template.packs = try pack.map { text throws(SiteTemplateError) in try SiteTemplate.pack(text) }
            if let mqttFrom { try template.seedMQTT(from: mqttFrom) }
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        let catalog = plugins.catalog()
        let text: String
        do {
            text = try template.render(catalog: catalog)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        // The file must load as written: a template that `check` refuses is a bug here.
        do {
            let config = try ConfigLoader.parse(yaml: text, file: output ?? "(init)")
            try Gateway.validate(config, catalog: catalog)
        } catch {
            printError("error: the file would not load: \(error)")
            throw ExitCode(1)
        }
        guard let output else {
            print(text, terminator: "")
            return
        }
        if FileManager.default.fileExists(atPath: output) && !force {
            printError("error: \(output) exists (--force replaces it)")
            throw ExitCode(1)
        }
        try text.write(toFile: output, atomically: true, encoding: .utf8)
        printError("wrote \(output): edit the devices and limits, then `bmsgate check \(output)`")
    }
}
