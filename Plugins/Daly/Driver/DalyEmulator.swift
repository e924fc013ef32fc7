import BMSDriverKit

/// Daly boards for tests and sim buses. On a line, boards by number (`addresses` "1,2"):
/// board n answers requests to host address 0x40 + n - 1 with its number in the answer.
/// Addressed by a BLE address ("17:71:06:..."), one board answers requests to 0x80 over
/// the host's GATT peripheral emulator. Answers 0x90-0x98 (0x95 and 0x96 in as many frames
/// as cells and probes need) and the MOSFET writes 0xD9/0xDA; a bad checksum or an unknown
/// command gets no answer, as from a board. Options: `cells` (default 16), `probes` (2).
///
/// Control commands: `set N soc=55 current=-20.5 cell3=3.41 temp=25 charge=off`,
/// `fail N BYTE BIT` (raise a 0x98 failure bit), `clear N`, `silence N`, `answer N`,
/// `status`, `help`.
public final class DalyEmulator: BMSEmulator {
    final class Board {
        let number: UInt8
        var cells: [Double]
        var temperatures: [Double]
        var current: Double
        var soc: Double
        var capacity = 100.0
        var cycles = 17
        var charge = true, discharge = true
        var failures = [UInt8](repeating: 0, count: 8)
        var silent = false
        init(number: UInt8, cells: Int, probes: Int) {
            self.number = number
            self.cells = (0..<cells).map { 3.310 + Double(($0 * 7 + Int(number)) % 11) / 1000 }
            temperatures = (0..<probes).map { 21 + Double($0) }
            current = number % 2 == 1 ? -12.5 : 8.0
            soc = 60.5 + Double(number) * 4
        }
    }

    var boards: [UInt8: Board] = [:]
    /// Boards reached over BLE answer host address 0x80.
    var ble = false
    private var decoderBuffer: [UInt8] = []

    public init(options: DriverOptions) throws(DriverError) {
        try options.rejectUnknown(["addresses", "cells", "probes"])
        let cells = options["cells"].flatMap(DriverOptions.parseInteger) ?? 16
        let probes = options["probes"].flatMap(DriverOptions.parseInteger) ?? 2
        guard (1...48).contains(cells), (0...16).contains(probes) else { throw .invalid("cells must be 1...48, probes 0...16") }
        for item in (options["addresses"] ?? "1").split(separator: ",") {
            if item.contains(":") {
                ble = true
                boards[1] = Board(number: 1, cells: cells, probes: probes)
                continue
            }
            guard let n = DriverOptions.parseInteger(String(item)), (1...63).contains(n) else {
                throw .invalid("emulator board '\(item)' is not a board number 1...63 (or a BLE address)")
            }
            boards[UInt8(n)] = Board(number: UInt8(n), cells: cells, probes: probes)
        }
    }

    public func exchange(_ input: [UInt8]) -> [UInt8] {
        decoderBuffer += input
        var out: [UInt8] = []
        while let start = decoderBuffer.firstIndex(of: DalyFrame.start) {
            if start > 0 { decoderBuffer.removeFirst(start) }
            guard decoderBuffer.count >= DalyFrame.size else { break }
            let bytes = Array(decoderBuffer[..<DalyFrame.size])
            guard let request = try? DalyFrame.parse(bytes) else {
                decoderBuffer.removeFirst()
                continue
            }
            decoderBuffer.removeFirst(DalyFrame.size)
            let board: Board?
            if ble {
                board = request.address == 0x80 ? boards[1] : nil
            } else {
                board = request.address >= 0x40 && request.address < 0x80 ? boards[request.address - 0x3F] : nil
            }
            guard let board, !board.silent, let command = DalyFrame.Command(rawValue: request.command) else { continue }
            out += answers(board, command, request.data).flatMap { DalyFrame(address: board.number, command: command.rawValue, data: $0).encoded }
        }
        if decoderBuffer.count > 256 { decoderBuffer.removeAll() }
        return out
    }

    func answers(_ b: Board, _ command: DalyFrame.Command, _ data: [UInt8]) -> [[UInt8]] {
        func u16(_ v: Int) -> [UInt8] { [UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        let voltage = b.cells.reduce(0, +)
        switch command {
        case .soc:
            // Discharge counts above the offset, as on the boards captured.
            return [u16(Int((voltage * 10).rounded())) + u16(0) + u16(30000 - Int((b.current * 10).rounded())) + u16(Int((b.soc * 10).rounded()))]
        case .cellRange:
            let hi = b.cells.indices.max { b.cells[$0] < b.cells[$1] }!, lo = b.cells.indices.min { b.cells[$0] < b.cells[$1] }!
            return [u16(Int((b.cells[hi] * 1000).rounded())) + [UInt8(hi + 1)] + u16(Int((b.cells[lo] * 1000).rounded())) + [UInt8(lo + 1)]]
        case .temperatureRange:
            guard let hi = b.temperatures.indices.max(by: { b.temperatures[$0] < b.temperatures[$1] }),
                  let lo = b.temperatures.indices.min(by: { b.temperatures[$0] < b.temperatures[$1] }) else { return [[]] }
            return [[UInt8(Int(b.temperatures[hi]) + 40), UInt8(hi + 1), UInt8(Int(b.temperatures[lo]) + 40), UInt8(lo + 1)]]
        case .mosfets:
            let state: UInt8 = b.current > 0.05 ? 1 : (b.current < -0.05 ? 2 : 0)
            let mAh = Int((b.capacity * b.soc / 100 * 1000).rounded())
            let head: [UInt8] = [state, b.charge ? 1 : 0, b.discharge ? 1 : 0, UInt8(b.cycles & 0xFF)]
            return [head + u16(mAh >> 16) + u16(mAh & 0xFFFF)]
        case .status:
            let charger: UInt8 = b.current > 0 ? 1 : 0, load: UInt8 = b.current < 0 ? 1 : 0
            let head: [UInt8] = [UInt8(b.cells.count), UInt8(b.temperatures.count), charger, load, 0]
            return [head + u16(b.cycles)]
        case .cellVoltages:
            var frames: [[UInt8]] = []
            for i in stride(from: 0, to: b.cells.count, by: 3) {
                var f: [UInt8] = [UInt8(i / 3 + 1)]
                for c in i..<(i + 3) { f += u16(c < b.cells.count ? Int((b.cells[c] * 1000).rounded()) : 0) }
                frames.append(f)
            }
            return frames
        case .temperatures:
            var frames: [[UInt8]] = []
            for i in stride(from: 0, to: b.temperatures.count, by: 7) {
                var f: [UInt8] = [UInt8(i / 7 + 1)]
                for t in i..<min(i + 7, b.temperatures.count) { f.append(UInt8(max(0, min(255, Int(b.temperatures[t]) + 40)))) }
                frames.append(f)
            }
            return frames
        case .balancing:
            var bits = [UInt8](repeating: 0, count: 8)
            let low = b.cells.min() ?? 0
            for (i, c) in b.cells.enumerated() where c - low >= 0.008 { bits[i / 8] |= 1 << (i % 8) }
            return [bits]
        case .failures: return [b.failures]
        case .chargeMOS:
            b.charge = data[0] != 0
            return [data]
        case .dischargeMOS:
            b.discharge = data[0] != 0
            return [data]
        }
    }

    public func control(_ command: String) -> String {
        let words = command.split(separator: " ").map(String.init)
        guard let verb = words.first, verb != "help" else {
            return "commands: set N key=value... (soc, current, cells, cell<i>, temp, charge, discharge) | fail N BYTE BIT | clear N | silence N | answer N | status"
        }
        if verb == "status" {
            return boards.keys.sorted().map { n in
                let b = boards[n]!
                return "\(n): \(b.silent ? "silent" : "answering") soc=\(b.soc) current=\(b.current) charge=\(b.charge) discharge=\(b.discharge)"
            }.joined(separator: "; ")
        }
        guard words.count >= 2, let n = DriverOptions.parseInteger(words[1]), n >= 0, n < 256, let b = boards[UInt8(n)] else {
            return "error: '\(command)': give a served board (\(boards.keys.sorted().map(String.init).joined(separator: ",")))"
        }
        switch verb {
        case "silence": b.silent = true; return "ok: board \(n) stopped answering"
        case "answer": b.silent = false; return "ok: board \(n) answers"
        case "clear": b.failures = [UInt8](repeating: 0, count: 8); return "ok: board \(n) failures cleared"
        case "fail":
            guard words.count == 4, let byte = Int(words[2]), (0...6).contains(byte), let bit = Int(words[3]), (0...7).contains(bit) else {
                return "error: fail N BYTE(0-6) BIT(0-7)"
            }
            b.failures[byte] |= 1 << bit
            return "ok: board \(n) failure \(byte).\(bit) raised"
        case "set":
            for pair in words.dropFirst(2) {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { return "error: '\(pair)' is not key=value" }
                if kv[0] == "charge" || kv[0] == "discharge" {
                    guard kv[1] == "on" || kv[1] == "off" else { return "error: \(kv[0]) on|off" }
                    if kv[0] == "charge" { b.charge = kv[1] == "on" } else { b.discharge = kv[1] == "on" }
                    continue
                }
                guard let v = Double(kv[1]) else { return "error: '\(pair)' is not key=number" }
                switch kv[0] {
                case "soc": b.soc = v
                case "current": b.current = v
                case "cells": b.cells = b.cells.map { _ in v }
                case "temp": b.temperatures = b.temperatures.map { _ in v }
                case let key where key.hasPrefix("cell"):
                    guard let i = Int(key.dropFirst(4)), (1...b.cells.count).contains(i) else { return "error: bad \(key)" }
                    b.cells[i - 1] = v
                default: return "error: unknown key '\(kv[0])'"
                }
            }
            return "ok: board \(n) updated"
        default:
            return "error: unknown command '\(verb)' (try 'help')"
        }
    }
}
