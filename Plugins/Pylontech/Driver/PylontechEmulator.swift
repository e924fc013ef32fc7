import BMSDriverKit
import PylonCodec

/// A simulated stack of Pylontech-protocol packs (options "addresses" = "2,3"). Address 2
/// starts from the values of a captured US2000 answer (15 cells at 3.27 V, 74 Ah); the
/// others discharge a little lower. Answers 0x42 (one address, or FF for all), 0x44, 0x47,
/// 0x4F, 0x51, 0x92, 0x93, 0x96; anything else gets the protocol's error answer. Control
/// commands (one line each):
///
///     silence N | answer N | set N key=value... | alarm N cell_high|cell_low|temp_high | clear N | status | help
///
/// `set` keys: soc (%), current (A), cell<i> (V), cells (V, all), temp (°C, all probes),
/// charge (on/off), discharge (on/off).
public final class PylontechEmulator: BMSEmulator {
    final class Pack {
        var values: PylonModuleValues
        var management: PylonManagement
        var alarms: PylonAlarms
        var silent = false
        init(values: PylonModuleValues) {
            self.values = values
            management = PylonManagement(chargeVoltage: 53.2, dischargeVoltage: 44.5, chargeCurrent: 37, dischargeCurrent: 74,
                                         chargeEnabled: true, dischargeEnabled: true)
            alarms = PylonAlarms(cells: values.cells.count, temperatures: values.temperatures.count)
        }
    }

    private var packs: [UInt8: Pack] = [:]
    private var splitter = PylonFrameSplitter()

    public init(options: DriverOptions) throws(DriverError) {
        try options.rejectUnknown(["addresses"])
        for item in (options["addresses"] ?? "2").split(separator: ",") {
            guard let a = DriverOptions.parseInteger(String(item)), (1...254).contains(a) else {
                throw .invalid("emulator address '\(item)' is not in 1...254")
            }
            packs[UInt8(a)] = Pack(values: a == 2 ? Self.captured : Self.other(a))
        }
    }

    /// The module of the captured answer `~20024600F07A1102...E1D6`.
    static let captured = PylonModuleValues(
        cells: [3.269, 3.267, 3.269, 3.268, 3.268, 3.270, 3.269, 3.268, 3.271, 3.269, 3.270, 3.270, 3.269, 3.270, 3.270],
        temperatures: [14.0, 12.0, 12.0, 13.0, 13.0], current: -3.2, voltage: 49.037, remainingCapacity: 48.1,
        totalCapacity: 74, cycles: 27)

    static func other(_ a: Int) -> PylonModuleValues {
        let cells = (0..<15).map { 3.250 + Double(($0 * 3 + a) % 7) / 1000 }
        return PylonModuleValues(cells: cells, temperatures: [15, 13, 13, 14, 14], current: -2.5, voltage: cells.reduce(0, +),
                                 remainingCapacity: 40 - Double(a), totalCapacity: 74, cycles: 40 + a)
    }

    public func exchange(_ input: [UInt8]) -> [UInt8] {
        splitter.feed(input).flatMap(answer)
    }

    func answer(_ request: [UInt8]) -> [UInt8] {
        let frame: PylonFrame
        do {
            frame = try PylonFrame.decode(request)
        } catch {
            // Only the addressed pack answers a broken frame; when the address is unreadable, none does.
            guard request.count >= 5, let a = Hex.bytes(request[3..<5])?.first, let pack = packs[a], !pack.silent else { return [] }
            return PylonFrame(address: a, cid2: error.returnCode.rawValue).encoded
        }
        let all = frame.info.first == 0xFF
        guard let pack = packs[frame.address], !pack.silent else { return [] }
        func reply(_ info: [UInt8]) -> [UInt8] { PylonFrame(version: frame.version, address: frame.address, cid2: 0, info: info).encoded }
        func fail(_ code: PylonReturnCode) -> [UInt8] { PylonFrame(version: frame.version, address: frame.address, cid2: code.rawValue).encoded }
        guard frame.cid1 == PylonFrame.battery, let command = PylonCommand(rawValue: frame.cid2) else { return fail(.unknownCommand) }
        if let asked = frame.info.first, !all, asked != frame.address, command != .manufacturerInfo, command != .protocolVersion {
            return fail(.address)
        }
        let ordered = packs.keys.sorted().compactMap { packs[$0] }
        switch command {
        case .protocolVersion: return reply([])
        case .manufacturerInfo: return reply(PylonInfo.manufacturer(device: "US2000C", softwareVersion: (2, 8), manufacturer: "PYLON"))
        case .analogValues:
            return all ? reply(PylonInfo.analog(commandValue: UInt8(ordered.count), modules: ordered.map(\.values)))
                : reply(PylonInfo.analog(commandValue: frame.address, modules: [pack.values]))
        case .alarmInfo: return reply(PylonInfo.alarms(commandValue: frame.address, pack.alarms))
        case .systemParameters:
            return reply(PylonInfo.systemParameters(PylonSystemParameters(
                cellHighVoltage: 3.7, cellLowVoltage: 3.05, cellUnderVoltage: 2.9, chargeHighTemperature: 50, chargeLowTemperature: 0,
                chargeCurrent: 102, moduleHighVoltage: 54, moduleLowVoltage: 46, moduleUnderVoltage: 44.5,
                dischargeHighTemperature: 60, dischargeLowTemperature: -10, dischargeCurrent: 102)))
        case .management: return reply(pack.management.info(commandValue: frame.address))
        case .serialNumber: return reply(PylonInfo.serialNumber(commandValue: frame.address, serial: "US2K" + (frame.address < 10 ? "0" : "") + "\(frame.address)2050100001"))
        case .firmware: return reply(PylonInfo.firmware(commandValue: frame.address, manufacture: (1, 1), mainLine: (2, 8, 0)))
        case .systemAnalog, .systemAlarms, .systemManagement: return fail(.unknownCommand)  // a US2000 speaks V3.3
        }
    }

    public func control(_ command: String) -> String {
        let words = command.split(separator: " ").map(String.init)
        guard let verb = words.first else { return "error: empty command (try 'help')" }
        if verb == "help" { return "commands: silence N | answer N | set N key=value... | alarm N cell_high|cell_low|temp_high | clear N | status" }
        if verb == "status" {
            return packs.keys.sorted().map { a in
                let p = packs[a]!
                return "\(a): \(p.silent ? "silent" : "answering") soc=\(Int(p.values.remainingCapacity / p.values.totalCapacity * 100)) current=\(p.values.current)"
            }.joined(separator: "; ")
        }
        guard words.count >= 2, let a = DriverOptions.parseInteger(words[1]), a >= 0, a <= 255, let pack = packs[UInt8(a)] else {
            return "error: '\(command)': give a served address (\(packs.keys.sorted().map(String.init).joined(separator: ",")))"
        }
        switch verb {
        case "silence": pack.silent = true; return "ok: address \(a) stopped answering"
        case "answer": pack.silent = false; return "ok: address \(a) answers"
        case "clear":
            pack.alarms = PylonAlarms(cells: pack.values.cells.count, temperatures: pack.values.temperatures.count)
            return "ok: address \(a) alarms cleared"
        case "alarm":
            switch words.dropFirst(2).first {
            case "cell_high": pack.alarms.cells[0] = .aboveUpper
            case "cell_low": pack.alarms.cells[0] = .belowLower
            case "temp_high": pack.alarms.temperatures = pack.alarms.temperatures.map { _ in .aboveUpper }
            default: return "error: alarm cell_high, cell_low or temp_high"
            }
            return "ok: address \(a) alarm raised"
        case "set":
            for pair in words.dropFirst(2) {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { return "error: '\(pair)' is not key=value" }
                let v = Double(kv[1])
                switch kv[0] {
                case "soc": if let v { pack.values.remainingCapacity = pack.values.totalCapacity * v / 100 }
                case "current": if let v { pack.values.current = v }
                case "cells": if let v { pack.values.cells = pack.values.cells.map { _ in v } }
                case "temp": if let v { pack.values.temperatures = pack.values.temperatures.map { _ in v } }
                case "charge": pack.management.chargeEnabled = kv[1] == "on"
                case "discharge": pack.management.dischargeEnabled = kv[1] == "on"
                case let key where key.hasPrefix("cell"):
                    guard let i = Int(key.dropFirst(4)), (1...pack.values.cells.count).contains(i), let v else { return "error: bad \(key)" }
                    pack.values.cells[i - 1] = v
                default: return "error: unknown key '\(kv[0])'"
                }
            }
            pack.values.voltage = pack.values.cells.reduce(0, +)
            return "ok: address \(a) updated"
        default:
            return "error: unknown command '\(verb)' (try 'help')"
        }
    }
}
