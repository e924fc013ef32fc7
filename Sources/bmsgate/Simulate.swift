import ArgumentParser
import BMSGate
import Foundation

/// `bmsgate simulate`: a driver's emulator behind a pseudo-terminal.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a driver's device emulator, or an inverter (--inverter), behind a pseudo-terminal until killed.",
        discussion: """
            Lines typed on standard input are emulator commands, e.g. 'silence 2', 'answer 2',
            'set 1 soc=42 current=-10', 'alarm 1 cell_overvoltage', 'clear 1', 'status', 'help'.
            With --inverter pylon|sma|victron it plays the inverter on an SLCAN link instead:
            `bmsgate simulate --inverter pylon --link /tmp/inverter` and a can sink with
            `device: /tmp/inverter` show what your inverter will see before you wire it.
            """)

    @Option(help: "Driver id.")
    var driver: String?

    @Option(help: "Play an inverter instead of a BMS: pylon, sma or victron. It sends that inverter's keepalive on an SLCAN pty and prints every battery frame it reads.")
    var inverter: String?

    @Option(help: "A device address to serve (repeatable; default 1).")
    var address: [String] = []

    @Option(help: "Make PATH a symlink to the pty (replaced if it is a symlink already).")
    var link: String?

    @Option(name: .customLong("line-rate"), help: "Pace answers like a wire at this baud rate.")
    var lineRate: Int?

    @Option(name: .customLong("option"), help: "An emulator option KEY=VALUE (repeatable), e.g. units=2 for a REC MultiBMS.")
    var options: [String] = []

    @OptionGroup var plugins: PluginOptions

    func validate() throws {
        if (driver == nil) == (inverter == nil) {
            throw ValidationError("give either --driver (a BMS emulator) or --inverter (pylon, sma or victron)")
        }
        if let inverter, CANProfile(rawValue: inverter) == nil {
            throw ValidationError("--inverter must be one of \(CANProfile.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        blockStopSignals()
        if let inverter, let profile = CANProfile(rawValue: inverter) { return try runInverter(profile) }
        guard let driver else { return }
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
        WorkerThread.detach(name: "emulator stdin") {
            while let line = readLine() {
                let command = line.trimmingCharacters(in: .whitespaces)
                guard !command.isEmpty else { continue }
                FileHandle.standardOutput.write(Data((server.control(command) + "\n").utf8))
            }
        }
        _ = waitForStopSignal()
        server.stop()
        if let link { try? FileManager.default.removeItem(atPath: link) }
    }
}

extension Simulate {
    /// `--inverter`: an inverter on an SLCAN pty, printing each battery frame when it changes
    /// (and every frame set's arrival as a dot-free summary line once a second).
    func runInverter(_ profile: CANProfile) throws {
        let simulator: InverterSimulator
        do {
            simulator = try InverterSimulator(profile: profile) { frame in
                printLine(CANFrameText.describe(frame))
            }
        } catch {
            printError("error: \(error.message)")
            throw ExitCode(1)
        }
        if let link { try makeLink(link, to: simulator.path) }
        simulator.start()
        printLine("\(profile.rawValue) inverter on \(simulator.path)\(link.map { " (linked as \($0))" } ?? ""): point a can sink's device: at it; battery frames follow")
        _ = waitForStopSignal()
        simulator.stop()
        if let link { try? FileManager.default.removeItem(atPath: link) }
    }

    func makeLink(_ link: String, to path: String) throws {
        if let existing = try? FileManager.default.destinationOfSymbolicLink(atPath: link), !existing.isEmpty {
            try? FileManager.default.removeItem(atPath: link)
        }
        do {
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        } catch {
            printError("error: cannot create symlink \(link): \(error.localizedDescription)")
            throw ExitCode(1)
        }
    }
}

/// Writes a line to stdout unbuffered (so a parent process sees it at once).
func printLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
