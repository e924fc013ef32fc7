import BMSDriverKit

/// A simulated Basen bus: one or several packs (options "addresses" = "1,2"). Address 1
/// starts from the seed's captured sample (its first info answer is that frame byte for
/// byte); other addresses start discharging at a lower SoC. Values drift a little with
/// every info request so a live view moves. Control commands (one line each):
///
///     silence N | answer N | set N key=value... | alarm N NAME | clear N | status | help
///
/// `set` keys: soc, current, cycles, soh, capacity, cell<i> (V), cells (V, all),
/// temp<i>, mos, ambient (°C), balancing (comma list of cells), drift (on/off).
/// `alarm` takes a canonical alarm name or a vendor status text.
public final class BasenEmulator: BMSEmulator {
    final class Pack {
        var cellsMv: [Int]
        var balancing: [Bool]
        var currentCentiAmps: Int
        var socCenti: Int
        var capacityCentiAh: Int
        var cellTemps: [Int]
        var mosTemp: Int
        var ambientTemp: Int
        var status = [UInt8](repeating: 0, count: 10)
        var cycles: Int
        var sohCenti: Int
        var silent = false
        var drift = true
        var infoCount = 0
        var tail: [UInt8]

        init(cellsMv: [Int], current: Int, soc: Int, capacity: Int, temps: [Int], mos: Int, ambient: Int,
             cycles: Int, soh: Int, tail: [UInt8]) {
            self.cellsMv = cellsMv
            self.balancing = Array(repeating: false, count: cellsMv.count)
            self.currentCentiAmps = current
            self.socCenti = soc
            self.capacityCentiAh = capacity
            self.cellTemps = temps
            self.mosTemp = mos
            self.ambientTemp = ambient
            self.cycles = cycles
            self.sohCenti = soh
            self.tail = tail
        }

        /// Pack voltage in 10 mV; follows the cells (truncated, as the seed's pack reports).
        lazy var voltageCenti: Int = cellsMv.reduce(0, +) / 10
        func cellsChanged() { voltageCenti = cellsMv.reduce(0, +) / 10 }
    }

    private var packs: [UInt8: Pack] = [:]
    private var input: [UInt8] = []
    /// Version text the emulated packs report.
    static let version = "HY-CW007-B200LT55-V1.0.0"

    public init(options: DriverOptions) throws(DriverError) {
        try options.rejectUnknown(["addresses"])
        let list = (options["addresses"] ?? "1").split(separator: ",")
        for item in list {
            guard let a = DriverOptions.parseInteger(String(item)), (1...255).contains(a) else {
                throw .invalid("emulator address '\(item)' is not in 1...255")
            }
            packs[UInt8(a)] = a == 1 ? Self.seedPack() : Self.otherPack(a)
        }
    }

    /// The pack of the seed's sample response (address 1).
    static func seedPack() -> Pack {
        Pack(cellsMv: [3396, 3393, 3392, 3393, 3392, 3391, 3392, 3393, 3395, 3394, 3394, 3394, 3395, 3394, 3394, 3397],
             current: 0, soc: 9999, capacity: 28000, temps: [21, 22, 22, 21], mos: 22, ambient: 25,
             cycles: 28, soh: 10000,
             tail: [0x0a, 0x01, 0x00, 0x00,
                    0x0b, 0x01, 0x00, 0x00, 0x1a, 0x05, 0x0c, 0x01, 0x00, 0x00, 0x19, 0x5d,
                    0x0d, 0x01, 0x00, 0x2b, 0x27, 0xef, 0x0e, 0x01, 0x00, 0x40, 0x00, 0x00,
                    0x0f, 0x01, 0x00, 0x05, 0x75, 0x06, 0x10, 0x01, 0x00, 0x04, 0x4b, 0xa2])
    }

    static func otherPack(_ a: Int) -> Pack {
        Pack(cellsMv: (0..<16).map { 3290 + ($0 * 7 + a) % 9 }, current: -1250 - 100 * a, soc: 7650 - 200 * (a % 10),
             capacity: 28000, temps: [19, 20, 20, 19], mos: 24, ambient: 23, cycles: 100 + a, soh: 9800,
             tail: [0x0a, 0x01, 0x00, 0x00])
    }

    public func exchange(_ bytes: [UInt8]) -> [UInt8] {
        input += bytes
        var out: [UInt8] = []
        while true {
            guard let start = input.firstIndex(of: BasenFrame.soi) else { input.removeAll(); break }
            input.removeFirst(start)
            guard input.count >= 6 else { break }
            let request = Array(input.prefix(6))
            guard request[5] == BasenFrame.eoi, BasenFrame.checksum(request[0..<4]) == request[4] else {
                input.removeFirst()  // not a valid request: resynchronise
                continue
            }
            input.removeFirst(6)
            out += answer(address: request[1], command: request[2], sub: request[3])
        }
        return out
    }

    private func answer(address: UInt8, command: UInt8, sub: UInt8) -> [UInt8] {
        guard let pack = packs[address], !pack.silent else { return [] }
        let data: [UInt8]
        switch command {
        case BasenCommand.info:
            if pack.drift && pack.infoCount > 0 { step(pack) }
            pack.infoCount += 1
            data = BasenInfo.encode(cellsMv: pack.cellsMv, balancing: pack.balancing,
                                    currentCentiAmps: pack.currentCentiAmps, socCenti: pack.socCenti,
                                    capacityCentiAh: pack.capacityCentiAh, cellTemps: pack.cellTemps,
                                    mosTemp: pack.mosTemp, ambientTemp: pack.ambientTemp, status: pack.status,
                                    cycles: pack.cycles, voltageCenti: pack.voltageCenti, sohCenti: pack.sohCenti,
                                    tail: pack.tail)
        case BasenCommand.version:
            data = Array(Self.version.utf8)
        case BasenCommand.barcode:
            data = Array("BG48280-2024-\(address < 10 ? "000" : "00")\(address)".utf8)
        case BasenCommand.parameters where sub == BasenCommand.protectionSub:
            data = BasenParameters.encode(Self.protectionRaw)
        case BasenCommand.parameters where sub == BasenCommand.alarmSub:
            data = BasenParameters.encode(Self.alarmRaw)
        default:
            data = [0x04]  // invalid command
        }
        return BasenFrame(address: address, command: command, data: data).encoded
    }

    /// Moves a pack a little: cells wobble by a millivolt, SoC follows the current.
    private func step(_ pack: Pack) {
        let n = pack.infoCount
        for k in pack.cellsMv.indices where (n + k) % 5 == 0 {
            pack.cellsMv[k] += (n / 5 + k) % 2 == 0 ? 1 : -1
        }
        pack.cellsChanged()
        if pack.currentCentiAmps != 0 {
            pack.socCenti = max(0, min(10000, pack.socCenti + (pack.currentCentiAmps > 0 ? 1 : -1)))
            pack.currentCentiAmps += (n % 4 < 2) ? 7 : -7
        }
    }

    public func control(_ command: String) -> String {
        let words = command.split(separator: " ").map(String.init)
        guard let verb = words.first else { return "error: empty command (try 'help')" }
        switch verb {
        case "help":
            return "commands: silence N | answer N | set N key=value... | alarm N NAME | clear N | status"
        case "status":
            return packs.keys.sorted().map { a in
                let p = packs[a]!
                return "\(a): \(p.silent ? "silent" : "answering") soc=\(Double(p.socCenti) / 100) current=\(Double(p.currentCentiAmps) / 100) status=\(BasenStatus(bytes: p.status).summary)"
            }.joined(separator: "; ")
        default:
            break
        }
        guard words.count >= 2, let a = DriverOptions.parseInteger(words[1]), a >= 0, a <= 255, let pack = packs[UInt8(a)] else {
            return "error: '\(command)': give a served address (\(packs.keys.sorted().map(String.init).joined(separator: ",")))"
        }
        switch verb {
        case "silence":
            pack.silent = true
            return "ok: address \(a) stopped answering"
        case "answer":
            pack.silent = false
            return "ok: address \(a) answers"
        case "clear":
            pack.status = [UInt8](repeating: 0, count: 10)
            return "ok: address \(a) status cleared"
        case "alarm":
            let name = words.dropFirst(2).joined(separator: " ")
            guard let bit = Self.statusBit(for: name) else { return "error: unknown alarm '\(name)'" }
            pack.status[bit.byte] |= bit.mask
            return "ok: address \(a) raised \(bit.text)"
        case "set":
            for pair in words.dropFirst(2) {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { return "error: '\(pair)' is not key=value" }
                if let error = set(pack, kv[0], kv[1]) { return "error: \(error)" }
            }
            pack.cellsChanged()
            return "ok: address \(a) updated"
        default:
            return "error: unknown command '\(verb)' (try 'help')"
        }
    }

    /// Applies one `key=value`; returns an error text or nil.
    private func set(_ p: Pack, _ key: String, _ value: String) -> String? {
        if key == "balancing" {
            p.balancing = Array(repeating: false, count: p.cellsMv.count)
            for c in value.split(separator: ",") {
                guard let i = Int(c), i >= 1, i <= p.cellsMv.count else { return "cell '\(c)' out of range" }
                p.balancing[i - 1] = true
            }
            return nil
        }
        if key == "drift" { p.drift = value == "on"; return nil }
        guard let v = Double(value) else { return "\(key): '\(value)' is not a number" }
        switch key {
        case "soc": p.socCenti = Int((v * 100).rounded())
        case "current": p.currentCentiAmps = Int((v * 100).rounded())
        case "cycles": p.cycles = Int(v)
        case "soh": p.sohCenti = Int((v * 100).rounded())
        case "capacity": p.capacityCentiAh = Int((v * 100).rounded())
        case "cells": p.cellsMv = p.cellsMv.map { _ in Int((v * 1000).rounded()) }
        case "mos": p.mosTemp = Int(v)
        case "ambient": p.ambientTemp = Int(v)
        default:
            if key.hasPrefix("cell"), let i = Int(key.dropFirst(4)), i >= 1, i <= p.cellsMv.count {
                p.cellsMv[i - 1] = Int((v * 1000).rounded())
            } else if key.hasPrefix("temp"), let i = Int(key.dropFirst(4)), i >= 1, i <= p.cellTemps.count {
                p.cellTemps[i - 1] = Int(v)
            } else {
                return "unknown key '\(key)'"
            }
        }
        return nil
    }

    /// The status bit for a canonical alarm name or a vendor text (case-insensitive).
    static func statusBit(for name: String) -> BasenStatus.Bit? {
        let lower = name.lowercased()
        if let alarm = Alarms(name: lower) {
            return BasenStatus.bits.first { $0.kind == .alarm && $0.alarms.contains(alarm) }
                ?? BasenStatus.bits.first { $0.alarms.contains(alarm) }
        }
        return BasenStatus.bits.first { $0.text.lowercased() == lower }
    }

    /// Raw protection parameters (a 16S LiFePO4 pack).
    static let protectionRaw: [UInt16] = [
        3650, 2000, 3400, 2500, 2000, 2900, 5840, 2000, 5440, 4000, 2000, 4640, 5600, 20000,
        20500, 2000, 20500, 2000, 25000, 200, 25000, 200, 110, 2000, 100, 120, 2000, 110,
        50, 2000, 55, 35, 2000, 40, 130, 2000, 120, 120, 2000, 110, 30, 2000, 35,
        3400, 30, 3100, 40, 1440, 60, 0, 60,
    ]
    /// Raw alarm parameters.
    static let alarmRaw: [UInt16] = [
        3600, 2000, 3450, 2700, 2000, 2900, 5760, 2000, 5520, 4320, 2000, 4640,
        20000, 2000, 19000, 20000, 2000, 19000, 105, 2000, 100, 53, 2000, 55,
        110, 2000, 105, 40, 2000, 45, 120, 2000, 110, 10, 15, 150, 100,
        110, 2000, 105, 35, 2000, 40,
    ]
}
