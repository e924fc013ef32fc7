import ArgumentParser
import BMSGate

/// `bmsgate probe-plugin PATH`: loads one plugin in this (child) process, for the parent's
/// `PluginProbe`. Exit 0 when it loads, 2 when the loader refuses it; a crash is the answer.
struct ProbePlugin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe-plugin", abstract: "Load one driver plugin and report (used by `drivers` and `run`).", shouldDisplay: false)

    @Argument(help: "The plugin file.")
    var path: String

    func run() throws {
        switch DriverLoader.loadOne(path: path) {
        case .success(let driver): print("ok \(driver.id)")
        case .failure(let failure):
            print(failure.reason)
            throw ExitCode(PluginProbe.refused)
        }
    }
}
