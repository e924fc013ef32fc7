import ArgumentParser
import BMSGate
import Foundation

/// `bmsgate decode`: decode captured frames and print the Reading JSON.
struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode captured frames (in order) with a driver and print the resulting Reading as JSON.")

    @Option(help: "Driver id, e.g. basen.")
    var driver: String

    @Option(name: .customLong("hex"), help: "A captured frame in hex (repeatable, in order).")
    var frames: [String] = []

    @Option(name: .customLong("option"), help: "A driver option KEY=VALUE (repeatable).")
    var options: [String] = []

    @OptionGroup var plugins: PluginOptions

    func run() throws {
        guard !frames.isEmpty else {
            printError("error: give at least one frame with --hex")
            throw ExitCode(2)
        }
        var bytes: [[UInt8]] = []
        for (i, text) in frames.enumerated() {
            guard let frame = HexText.parse(text), !frame.isEmpty else {
                printError("error: --hex #\(i + 1) is not hex bytes: '\(text.prefix(40))'")
                throw ExitCode(2)
            }
            bytes.append(frame)
        }
        let pairs = try keyValueOptions(options)
        let catalog = plugins.catalog()
        guard let loaded = catalog.driver(driver) else {
            printError("error: no driver '\(driver)' loaded (loaded: \(catalog.drivers.map(\.id).joined(separator: ", ")))")
            throw ExitCode(1)
        }
        switch DriverTools.decode(driver: loaded, frames: bytes, options: pairs) {
        case .success(let reading):
            print(reading.jsonText(online: true))
        case .failure(let failure):
            printError("error: \(failure.kind.rawValue): \(failure.message)")
            throw ExitCode(1)
        }
    }
}

/// Hex text → bytes ("7e 01 01", "7E0101", "0x7e,0x01").
enum HexText {
    static func parse(_ text: String) -> [UInt8]? {
        var cleaned = text.replacingOccurrences(of: "0x", with: "").replacingOccurrences(of: "0X", with: "")
        cleaned.removeAll { " ,:\n\t-".contains($0) }
        guard cleaned.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var it = cleaned.makeIterator()
        while let a = it.next(), let b = it.next() {
            guard let v = UInt8(String([a, b]), radix: 16) else { return nil }
            out.append(v)
        }
        return out
    }
}
