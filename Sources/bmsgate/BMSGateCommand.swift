import ArgumentParser
import BMSGate
import Foundation
import Logging

/// `bmsgate`: the battery gateway's command line.
@main
struct BMSGateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bmsgate",
        abstract: "Reads lithium battery BMSes through driver plugins and fans the readings out to sinks.",
        version: GatewayVersion.current,
        subcommands: [Run.self, Check.self, Init.self, Drivers.self, Decode.self, Read.self, Scan.self, Simulate.self, Command.self, ModbusMap.self,
                      ProbePlugin.self],
        defaultSubcommand: Run.self)
}

/// Options every command that loads plugins takes.
struct PluginOptions: ParsableArguments {
    @Option(name: .customLong("plugin-dir"), help: "A folder to search for driver plugins first (repeatable).")
    var pluginDirs: [String] = []

    @Option(name: .customLong("log-level"), help: "trace, debug, info, warning or error.")
    var logLevel: String = ProcessInfo.processInfo.environment["BMSGATE_LOG_LEVEL"] ?? "info"

    @Option(name: .customLong("log-format"), help: "text (stderr, the default) or journald (native journal fields: PRIORITY, BUS, PACK, ...; `<N>`-prefixed stderr without the journal socket).")
    var logFormat: String = ProcessInfo.processInfo.environment["BMSGATE_LOG_FORMAT"] ?? "text"

    func validate() throws {
        guard ["text", "journald"].contains(logFormat) else { throw ValidationError("--log-format must be text or journald") }
    }

    func logger(_ label: String = "bmsgate") -> Logger {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingBootstrap.once(level: level, journald: logFormat == "journald")
        return Logger(label: label)
    }

    func catalog(extra: [String] = [], probed: Bool = false) -> DriverCatalog {
        // `drivers` and `run` try each plugin in a child process first (a crashing plugin is
        // reported, not fatal); the short-lived commands load directly.
        let check = probed ? PluginProbe.check(executable: "/proc/self/exe") : nil
        return DriverLoader.load(directories: DriverLoader.searchPath(pluginDirs: pluginDirs + extra), check: check)
    }
}

/// Sets up swift-log once: stderr, the chosen level.
enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false
    static func once(level: Logger.Level, journald: Bool = false) {
        guard !done else { return }
        done = true
        if journald {
            LoggingSystem.bootstrap { label in JournaldLogHandler(label: label, level: level) }
            return
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// Prints to stderr.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Loads and checks a site file against the loaded drivers; prints every error and exits 1.
func loadSite(_ path: String, plugins: PluginOptions, probed: Bool = false, yaml: String? = nil) throws -> (SiteConfig, DriverCatalog) {
    let config: SiteConfig
    do {
        if let yaml { config = try ConfigLoader.parse(yaml: yaml, file: path) } else { config = try ConfigLoader.load(path: path) }
    } catch {
        printError(error.description)
        throw ExitCode(1)
    }
    let catalog = plugins.catalog(extra: config.pluginDirs, probed: probed)
    do {
        try Gateway.validate(config, catalog: catalog)
    } catch {
        printError(error.description)
        for failure in catalog.failures { printError("note: plugin not loaded: \(failure)") }
        throw ExitCode(1)
    }
    for warning in config.warnings { printError("\(warning.location): warning: \(warning.message)") }
    return (config, catalog)
}

/// `--option KEY=VALUE` arguments as pairs; a malformed one is an error (exit 2).
func keyValueOptions(_ options: [String]) throws -> [(String, String)] {
    try options.map { o in
        let kv = o.split(separator: "=", maxSplits: 1).map(String.init)
        guard kv.count == 2 else {
            printError("error: --option '\(o)' must be KEY=VALUE")
            throw ExitCode(2)
        }
        return (kv[0], kv[1])
    }
}

/// Blocks SIGINT and SIGTERM in this thread and every thread started after, so `waitForStopSignal`
/// can take them synchronously.
func blockStopSignals() {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    pthread_sigmask(SIG_BLOCK, &set, nil)
}

/// Waits for SIGINT or SIGTERM; returns its name.
func waitForStopSignal() -> String {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    var sig: Int32 = 0
    sigwait(&set, &sig)
    return sig == SIGINT ? "SIGINT" : "SIGTERM"
}
