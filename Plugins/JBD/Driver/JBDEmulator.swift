import BMSDriverKit

/// A JBD board for tests and sim buses: answers 0x03, 0x04, 0x05 and the MOSFET write
/// 0xE1 like a board does (requests with a bad checksum are ignored, unknown registers
/// get status 0x80). On a serial line there is one board; addressed by a BLE address
/// ("A4:C1:..."), the same board answers over the host's GATT peripheral emulator.
/// Options: `cells` (default 16), `addresses`.
///
/// Control commands (one line each): `set soc=55 current=-20.5 cell3=3.41 temp=25`,
/// `protect BIT` (raise protection bit 0-15), `clear`, `sleep` (the next request is
/// ignored, as by a sleeping board), `silence`, `answer`, `status`, `help`.
public final class JBDEmulator: BMSEmulator {
    var info: JBDBasicInfo
    var cells: [Double]
    var silent = false
    var asleep = false
    private var input: [UInt8] = []

    public init(options: DriverOptions) throws(DriverError) {
        try options.rejectUnknown(["addresses", "cells"])
        let count = options["cells"].flatMap(DriverOptions.parseInteger) ?? 16
        guard (1...32).contains(count) else { throw .invalid("cells must be 1...32") }
        cells = (0..<count).map { 3.300 + Double(($0 * 5) % 9) / 1000 }
        info = JBDBasicInfo(voltage: 0, current: -4.25, remainingCapacity: 71.5, nominalCapacity: 100, cycles: 42,
                            productionDate: (2023, 6, 14), softwareVersion: 0x21, soc: 72, cellCount: count,
                            temperatures: [24.5, 23.8, 25.1])
        refresh()
    }

    private func refresh() {
        info.voltage = (cells.reduce(0, +) * 100).rounded() / 100
        info.cellCount = cells.count
        info.balancing = 0
        if let high = cells.max(), let low = cells.min(), high - low >= 0.010 {
            for (i, c) in cells.enumerated() where c - low >= 0.010 { info.balancing |= 1 << UInt32(i) }
        }
    }

    public func exchange(_ bytes: [UInt8]) -> [UInt8] {
        input += bytes
        var out: [UInt8] = []
        while let start = input.firstIndex(of: JBDFrame.start) {
            if start > 0 { input.removeFirst(start) }
            guard input.count >= 4 else { break }
            let total = 4 + Int(input[3]) + 3
            guard input.count >= total else { break }
            let request = Array(input[..<total])
            input.removeFirst(total)
            let sum = JBDFrame.checksum(request[2..<(total - 3)])
            guard request[total - 1] == JBDFrame.end, UInt16(request[total - 3]) << 8 | UInt16(request[total - 2]) == sum,
                  request[1] == JBDFrame.read || request[1] == JBDFrame.write, !silent else { continue }
            if asleep {
                asleep = false
                continue
            }
            out += answer(kind: request[1], register: request[2], data: Array(request[4..<(total - 3)])).encoded
        }
        if input.count > 512 { input.removeAll() }
        return out
    }

    func answer(kind: UInt8, register: UInt8, data: [UInt8]) -> JBDFrame {
        switch (kind, JBDFrame.Register(rawValue: register)) {
        case (JBDFrame.read, .basicInfo): return JBDFrame(register: register, data: info.encoded)
        case (JBDFrame.read, .cellVoltages):
            return JBDFrame(register: register, data: cells.flatMap { c -> [UInt8] in
                let mv = Int((c * 1000).rounded())
                return [UInt8(mv >> 8), UInt8(mv & 0xFF)]
            })
        case (JBDFrame.read, .hardwareName): return JBDFrame(register: register, data: Array("JBD-SP16S020-L16S-100A".utf8))
        case (JBDFrame.write, .mosControl) where data.count == 2 && data[1] <= 3:
            info.chargeEnabled = data[1] & 1 == 0
            info.dischargeEnabled = data[1] & 2 == 0
            return JBDFrame(register: register, data: [])
        default:
            return JBDFrame(register: register, status: 0x80, data: [])
        }
    }

    public func control(_ command: String) -> String {
        let words = command.split(separator: " ").map(String.init)
        switch words.first {
        case "help", nil: return "commands: set key=value... (soc, current, cells, cell<i>, temp) | protect BIT | clear | sleep | silence | answer | status"
        case "status":
            return "soc=\(info.soc) current=\(info.current) voltage=\(info.voltage) protection=\(info.protection) charge=\(info.chargeEnabled) discharge=\(info.dischargeEnabled)\(silent ? " silent" : "")"
        case "silence": silent = true; return "ok: silent"
        case "answer": silent = false; return "ok: answering"
        case "sleep": asleep = true; return "ok: the next request is ignored"
        case "clear": info.protection = 0; return "ok: protections cleared"
        case "protect":
            guard words.count == 2, let bit = Int(words[1]), (0...15).contains(bit) else { return "error: protect BIT (0-15)" }
            info.protection |= 1 << UInt16(bit)
            return "ok: protection bit \(bit) raised"
        case "set":
            for pair in words.dropFirst() {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2, let v = Double(kv[1]) else { return "error: '\(pair)' is not key=number" }
                switch kv[0] {
                case "soc": info.soc = Int(v); info.remainingCapacity = info.nominalCapacity * v / 100
                case "current": info.current = v
                case "cells": cells = cells.map { _ in v }
                case "temp": info.temperatures = info.temperatures.map { _ in v }
                case let key where key.hasPrefix("cell"):
                    guard let i = Int(key.dropFirst(4)), (1...cells.count).contains(i) else { return "error: bad \(key)" }
                    cells[i - 1] = v
                default: return "error: unknown key '\(kv[0])'"
                }
            }
            refresh()
            return "ok: updated"
        default:
            return "error: unknown command '\(command)' (try 'help')"
        }
    }
}
