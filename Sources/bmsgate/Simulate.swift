import ArgumentParser
import BMSGate
import Foundation

/// `bmsgate simulate`: a driver's emulator behind a pseudo-terminal.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a driver's device emulator behind a pseudo-terminal until killed.",
        discussion: """
            Lines typed on standard input are emulator commands, e.g. 'silence 2', 'answer 2',
            'set 1 soc=42 current=-10', 'alarm 1 cell_overvoltage', 'clear 1', 'status', 'help'.
            """)

    @Option(help: "Driver id.")
    var driver: String

    @Option(help: "A device address to serve (repeatable; default 1).")
    var address: [String] = []

    @Option(help: "Make PATH a symlink to the pty (replaced if it is a symlink already).")
    var link: String?

    @Option(name: .customLong("line-rate"), help: "Pace answers like a wire at this baud rate.")
    var lineRate: Int?

    @Option(name: .customLong("option"), help: "An emulator option KEY=VALUE (repeatable), e.g. units=2 for a REC MultiBMS.")
    var options: [String] = []

    @OptionGroup var plugins: PluginOptions

    func run() throws {
        blockStopSignals()
        let logger = plugins.logger()
        let catalog = plugins.catalog()
        guard let loaded = catalog.driver(driver) else {
            printError("error: no driver '\(driver)' loaded (loaded: \(catalog.drivers.map(\.id).joined(separator: ", ")))")
            throw ExitCode(1)
        }
        let addresses = address.isEmpty ? ["1"] : address
        let pairs = try keyValueOptions(options)
        let server: EmulatorServer
        do {
            let emulator = try EmulatorHandle(driver: loaded, addresses: addresses, options: pairs)
            server = try EmulatorServer(emulators: [emulator], lineRate: lineRate, logger: logger)
        } catch {
            printError("error: \(error.message)")
            throw ExitCode(1)
        }
        if let link {
            if let existing = try? FileManager.default.destinationOfSymbolicLink(atPath: link), !existing.isEmpty {
                try? FileManager.default.removeItem(atPath: link)
            }
            do {
                try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: server.path)
            } catch {
                printError("error: cannot create symlink \(link): \(error.localizedDescription)")
                throw ExitCode(1)
            }
        }
        server.start()
        printLine("\(driver) emulator serving address(es) \(addresses.joined(separator: ",")) on \(server.path)\(link.map { " (linked as \($0))" } ?? "")")
        let reader = Thread {
            while let line = readLine() {
                let command = line.trimmingCharacters(in: .whitespaces)
                guard !command.isEmpty else { continue }
                FileHandle.standardOutput.write(Data((server.control(command) + "\n").utf8))
                    }
        }
        reader.start()
        _ = waitForStopSignal()
        server.stop()
        if let link { try? FileManager.default.removeItem(atPath: link) }
    }
}

/// Writes a line to stdout unbuffered (so a parent process sees it at once).
func printLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
