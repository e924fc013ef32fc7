import BMSDriverKit
#if canImport(Glibc)
import Glibc
#endif

/// JK BMSes for tests and sim buses. Over a line (pty) they speak NW: read-all, read-one,
/// write (settings are stored and read back), activation; several terminal ids on one
/// line (`addresses`). Addressed by a BLE address ("C8:47:8C:..."), a device answers the
/// BLE commands instead (0x97 device info, 0x96 settings + cell info), for the host's
/// GATT peripheral emulator. Options: `cells` (default 16), `protocol_version` (NW: 0 or 1,
/// default 1; BLE: JK02_24S, JK02_32S (default) or JK04).
///
/// Control commands: `silence ID`, `answer ID`, `set ID soc=55 current=-20.5 cell3=3.41
/// temp1=-5 mos=40 voltage=53.1`, `warn ID BITS` (0x8B mask), `clear ID`, `status`.
public final class JKEmulator: BMSEmulator {
    final class Device {
        let terminal: UInt32
        var cells: [Double]
        var mos = 25.0, box = 24.0, battery = 23.0
        var voltageOverride: Double?
        var current = -10.5
        var soc = 76.0
        var cycles = 12.0
        var warnings = 0
        var status = 0x0007
        var silent = false
        /// Dormant: only the activation command is answered (and wakes it).
        var dormant = false
        /// Paired by a correct 0x05 since the last write (with the emulator's pair_code).
        var paired = false
        /// Send an active upload before the next answer.
        var uploadNext = false
        /// Timed broadcast: read-all is answered by an active upload (type 2) only.
        var broadcast = false
        /// Send a stale answer (another record number, soc 1) before the next one.
        var staleNext = false
        var settings: [UInt8: [UInt8]] = [:]
        /// The BLE address when the device is reached over BLE.
        var bleAddress: String?
        var bleCounter: UInt8 = 0
        init(terminal: UInt32, cells: Int) {
            self.terminal = terminal
            self.cells = (0..<cells).map { 3.300 + Double(($0 * 7) % 11) / 1000 }
        }
        var voltage: Double { voltageOverride ?? (cells.reduce(0, +) * 100).rounded() / 100 }
    }

    /// Settings of a 16S LiFePO4 pack (raw bytes of each RW identifier).
    static let settingDefaults: [UInt8: Double] = [
        0x8E: 58.4, 0x8F: 40.0, 0x90: 3.65, 0x91: 3.4, 0x92: 5, 0x93: 2.5, 0x94: 2.9, 0x95: 5, 0x96: 0.3, 0x97: 150, 0x98: 3,
        0x99: 100, 0x9A: 5, 0x9B: 3.3, 0x9C: 0.01, 0x9D: 1, 0x9E: 90, 0x9F: 70, 0xA0: 100, 0xA1: 100, 0xA2: 20, 0xA3: 70,
        0xA4: 70, 0xA5: -20, 0xA6: -10, 0xA7: -20, 0xA8: -10, 0xA9: 16, 0xAA: 280, 0xAB: 1, 0xAC: 1, 0xAD: 1.041, 0xAE: 1,
        0xAF: 0, 0xB0: 10, 0xB1: 20, 0xB3: 0, 0xB6: 57856, 0xB8: 0, 0xB9: 280,
    ]
    static let textDefaults: [UInt8: String] = [
        0xB2: "123456", 0xB4: "JK16S001", 0xB5: "2405", 0xB7: "11.XW_S11.26___", 0xBA: "JK_B2A24S15P-BMSGATE-EMU",
    ]

    let protocolVersion: Int
    let bleLayout: JKBLELayout
    /// When set, writes are applied only right after this pair code (command 0x05), as the
    /// document requires; a wrong code and an unpaired write get no answer.
    let pairCode: String?
    /// Requests that arrived closer than 100 ms after the previous one on the line (the
    /// document's minimum gap); `status` reports the count.
    var tooClose = 0
    private var lastPacket: UInt64?
    var devices: [UInt32: Device] = [:]
    var input: [UInt8] = []

    public init(options: DriverOptions) throws(DriverError) {
        try options.rejectUnknown(["addresses", "cells", "protocol_version", "pair_code"])
        pairCode = options["pair_code"]
        let cells = options["cells"].flatMap(DriverOptions.parseInteger) ?? 16
        guard (1...32).contains(cells) else { throw .invalid("cells must be 1...32") }
        let version = options["protocol_version"]
        protocolVersion = version.flatMap(DriverOptions.parseInteger) ?? 1
        bleLayout = version.flatMap { JKBLELayout(option: $0) } ?? .jk02_32S
        for (index, item) in (options["addresses"] ?? "0").split(separator: ",").enumerated() {
            let text = item.isEmpty ? "0" : String(item)
            let isBLE = text.contains(":")
            guard let t = isBLE ? 1000 + index : DriverOptions.parseInteger(text), t >= 0, t <= 0xFFFF_FFFF else {
                throw .invalid("emulator terminal id '\(item)' is not a number (or a BLE address)")
            }
            let d = Device(terminal: UInt32(t), cells: cells)
            if isBLE { d.bleAddress = text }
            for reg in JKNWRegister.all where reg.access == .readWrite {
                if let v = Self.settingDefaults[reg.code], let b = reg.encode(.number(v)) { d.settings[reg.code] = b }
                if let t = Self.textDefaults[reg.code], let b = reg.encode(.text(t)) { d.settings[reg.code] = b }
            }
            if let b = JKNWRegister.code(0xB7)?.encode(.text(Self.textDefaults[0xB7]!)) { d.settings[0xB7] = b }
            d.current = t % 2 == 0 ? -10.5 : 6.25
            devices[UInt32(t)] = d
        }
    }

    public func exchange(_ bytes: [UInt8]) -> [UInt8] {
        if let ble = devices.values.first(where: { $0.bleAddress != nil }) { return bleExchange(ble, bytes) }
        input += bytes
        var out: [UInt8] = []
        var decoder = JKNWFrameDecoder()
        while true {
            let frame: JKNWFrame?
            do { frame = try decoder.decode(&input) } catch { continue }  // a bad frame is dropped, like a real BMS does
            guard let frame else { break }
            guard frame.type == JKNWFrame.typeRequest else { continue }
            let now = Self.monotonicMs()
            if let last = lastPacket, now &- last < 95 { tooClose += 1 }  // 5 ms for scheduling slack
            lastPacket = now
            let target = devices[frame.terminal] ?? (frame.terminal == 0 && devices.count == 1 ? devices.values.first : nil)
            guard let d = target, !d.silent else { continue }
            if d.dormant {
                guard frame.command == JKNWFrame.Command.activate.rawValue else { continue }
                d.dormant = false
            }
            func frameOut(_ info: [UInt8], type: UInt8 = JKNWFrame.typeResponse, record: UInt32 = frame.record) -> [UInt8] {
                JKNWFrame(terminal: d.terminal, command: frame.command, source: JKNWFrame.sourceBMS, type: type,
                          information: info, record: record).encoded
            }
            if d.uploadNext || (d.broadcast && frame.command == JKNWFrame.Command.readAll.rawValue) {
                d.uploadNext = false
                out += JKNWFrame(terminal: d.terminal, command: JKNWFrame.Command.readAll.rawValue, source: JKNWFrame.sourceBMS,
                                 type: JKNWFrame.typeUpload, information: data(d).encoded(), record: 0).encoded
                if d.broadcast && frame.command == JKNWFrame.Command.readAll.rawValue { continue }
            }
            if d.staleNext, frame.command == JKNWFrame.Command.readAll.rawValue {
                d.staleNext = false
                let soc = d.soc
                d.soc = 1
                out += frameOut(data(d).encoded(), record: frame.record &- 1 | 0x0100_0000)
                d.soc = soc
            }
            guard let info = answer(d, frame) else { continue }
            out += frameOut(info)
        }
        return out
    }

    static func monotonicMs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }

    func answer(_ d: Device, _ frame: JKNWFrame) -> [UInt8]? {
        switch JKNWFrame.Command(rawValue: frame.command) {
        case .activate:
            return []
        case .pair:
            guard let pairCode else { return [] }
            guard String(decoding: frame.information, as: UTF8.self) == pairCode else { d.paired = false; return nil }
            d.paired = true
            return []
        case .readAll:
            return data(d).encoded()
        case .read:
            guard let code = frame.information.first else { return nil }
            let all = data(d)
            if code == 0x79 { var c = JKNWData(); c.cells = all.cells; return c.encoded() }
            guard let b = all.bytes(code) else { return nil }
            return [code] + b
        case .write:
            guard let code = frame.information.first, let reg = JKNWRegister.code(code), reg.access != .read,
                  frame.information.count == 1 + reg.size else { return nil }
            if pairCode != nil {
                guard d.paired else { return nil }
                d.paired = false
            }
            if reg.access == .readWrite { d.settings[code] = Array(frame.information.dropFirst()) }
            return [code]
        case nil:
            return nil
        }
    }

    /// The read-all data of a device, in the order real BMSes send it.
    func data(_ d: Device) -> JKNWData {
        var data = JKNWData()
        data.cells = d.cells.enumerated().map { ($0.offset + 1, $0.element) }
        func put(_ code: UInt8, _ v: Double) {
            if let reg = JKNWRegister.code(code), let b = reg.encode(.number(v)) { data.entries.append((code, b)) }
        }
        put(0x80, d.mos)
        put(0x81, d.box)
        put(0x82, d.battery)
        put(0x83, d.voltage)
        let magnitude = Int((abs(d.current) * 100).rounded())
        let raw = protocolVersion >= 1 ? (d.current > 0 ? 0x8000 | magnitude : magnitude) : 10000 - Int((d.current * 100).rounded())
        data.entries.append((0x84, [UInt8(raw >> 8 & 0xFF), UInt8(raw & 0xFF)]))
        put(0x85, d.soc)
        put(0x86, 2)
        put(0x87, d.cycles)
        put(0x89, d.cycles * 280)
        put(0x8A, Double(d.cells.count))
        put(0x8B, Double(d.warnings))
        put(0x8C, Double(d.status))
        for reg in JKNWRegister.all where reg.code >= 0x8E && reg.code <= 0xBA {
            if let b = d.settings[reg.code] { data.entries.append((reg.code, b)) }
        }
        put(0xC0, Double(protocolVersion))
        return data
    }

    public func control(_ command: String) -> String {
        let words = command.split(separator: " ").map(String.init)
        guard let verb = words.first else { return "error: empty command (try 'help')" }
        if verb == "help" {
            return "commands: silence ID | answer ID | sleep ID | upload ID | broadcast ID on|off | stale ID | set ID key=value... | warn ID BITS | clear ID | status"
        }
        if verb == "status" {
            return devices.keys.sorted().map { t in
                let d = devices[t]!
                return "\(t): \(d.silent ? "silent" : (d.dormant ? "dormant" : "answering")) cells=\(d.cells.count) soc=\(d.soc) current=\(d.current) warnings=0x\(String(d.warnings, radix: 16))"
            }.joined(separator: "; ") + "; packets closer than 100 ms: \(tooClose)"
        }
        guard words.count >= 2, let t = DriverOptions.parseInteger(words[1]), let d = devices[UInt32(clamping: t)] else {
            return "error: '\(command)': give a served terminal id (\(devices.keys.sorted().map(String.init).joined(separator: ",")))"
        }
        switch verb {
        case "silence": d.silent = true; return "ok: terminal \(t) stopped answering"
        case "answer": d.silent = false; return "ok: terminal \(t) answers"
        case "sleep": d.dormant = true; return "ok: terminal \(t) is dormant until the activation command"
        case "upload": d.uploadNext = true; return "ok: terminal \(t) sends an active upload before its next answer"
        case "broadcast":
            d.broadcast = words.count < 3 || words[2] == "on"
            return "ok: terminal \(t) \(d.broadcast ? "answers read-all with active uploads" : "answers read-all normally")"
        case "stale": d.staleNext = true; return "ok: terminal \(t) sends an answer to an earlier request first"
        case "clear": d.warnings = 0; return "ok: terminal \(t) warnings cleared"
        case "warn":
            guard words.count >= 3, let bits = DriverOptions.parseInteger(words[2]), (0...0xFFFF).contains(bits) else {
                return "error: give a 16-bit warning mask, e.g. warn 0 0x0400"
            }
            d.warnings = bits
            return "ok: terminal \(t) warnings 0x\(String(bits, radix: 16))"
        case "set":
            for pair in words.dropFirst(2) {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2, let v = Double(kv[1]) else { return "error: '\(pair)' is not key=number" }
                switch kv[0] {
                case "soc": d.soc = v
                case "current": d.current = v
                case "voltage": d.voltageOverride = v
                case "mos": d.mos = v
                case "temp1": d.box = v
                case "temp2": d.battery = v
                case "cycles": d.cycles = v
                case "status": d.status = Int(v)
                case "cells": d.cells = d.cells.map { _ in v }
                default:
                    if kv[0].hasPrefix("cell"), let i = Int(kv[0].dropFirst(4)), (1...d.cells.count).contains(i) {
                        d.cells[i - 1] = v
                    } else {
                        return "error: unknown key '\(kv[0])'"
                    }
                }
            }
            return "ok: terminal \(t) updated"
        default:
            return "error: unknown command '\(verb)' (try 'help')"
        }
    }
}
