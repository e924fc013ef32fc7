import ArgumentParser
import BMSGate

/// `bmsgate drivers`: what plugins loaded, and which failed and why.
struct Drivers: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List loaded driver plugins and those that failed to load.")

    @OptionGroup var plugins: PluginOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Flag(help: "Print each driver's options and commands as Markdown (docs/drivers.md is this output).")
    var markdown = false

    func run() throws {
        let catalog = plugins.catalog(probed: true)
        if markdown {
            print(DriverDocument.markdown(catalog.drivers.sorted { $0.id < $1.id }), terminator: "")
            return
        }
        if json {
            let drivers = catalog.drivers.map { d -> JSONValue in
                var o = JSONObject()
                o["id"] = .string(d.id)
                o["vendor"] = .string(d.vendor)
                o["version"] = .string(d.version)
                o["abi"] = .string(d.abi)
                o["transports"] = .array(d.transportNames.map(JSONValue.string))
                o["emulator"] = .bool(d.hasEmulator)
                if !d.bleNames.isEmpty { o["ble_names"] = .array(d.bleNames.map(JSONValue.string)) }
                o["path"] = .string(d.path)
                o["options"] = .array(((d.addressOption.map { [$0] } ?? []) + (d.options ?? [])).map(\.json))
                o["commands"] = .array(d.commands.map(\.json))
                return .object(o)
            }
            let failures = catalog.failures.map { f -> JSONValue in
                var o = JSONObject()
                o["path"] = .string(f.path)
                o["reason"] = .string(f.reason)
                return .object(o)
            }
            var top = JSONObject()
            top["drivers"] = .array(drivers)
            top["failed"] = .array(failures)
            top["searched"] = .array(catalog.searched.map(JSONValue.string))
            top["ignored"] = .array(catalog.ignored.map(JSONValue.string))
            print(JSONValue.object(top).render())
            return
        }
        if catalog.drivers.isEmpty {
            print("no drivers loaded")
        } else {
            let rows = [["ID", "VENDOR", "VERSION", "TRANSPORTS", "EMULATOR", "PATH"]] + catalog.drivers.map {
                [$0.id, $0.vendor, $0.version, $0.transportNames.joined(separator: ","), $0.hasEmulator ? "yes" : "no", $0.path]
            }
            let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
            for row in rows {
                print(row.enumerated().map { c, v in c == row.count - 1 ? v : v.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                    .joined(separator: "  "))
            }
        }
        if !catalog.failures.isEmpty {
            print("\nfailed to load:")
            for f in catalog.failures { print("  \(f.path): \(f.reason)") }
        }
        if !catalog.ignored.isEmpty {
            print("\nignored (plugin files are named \(DriverLoader.filePrefix)<name>.so):")
            for path in catalog.ignored { print("  \(path)") }
        }
        print("\nsearched: \(catalog.searched.joined(separator: ":"))")
    }
}
