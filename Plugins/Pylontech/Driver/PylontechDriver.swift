import BMSDriverKit
import CBMSDriver
import PylonCodec

/// Packs that speak the Pylontech low-voltage RS485 protocol (US2000/US3000/US5000 and the
/// many packs that copy it): every poll reads 0x42 (analog values), 0x44 (alarms) and 0x92
/// (the pack's own charge/discharge limits, which the bank honours); the first poll also
/// reads 0x93 (serial), 0x51 (manufacturer) and 0x96 (firmware). 115200 baud by default.
public final class PylontechDriver: BMSDriver {
    public static let description = DriverDescription(
        id: "pylontech", vendor: "Pylontech (LV RS485 protocol)", version: "1.0.0",
        summary: "Pylontech-protocol packs over RS485: cells, temperatures, current, capacities, cycles, alarms, the pack's limits",
        transports: UInt32(BMS_TRANSPORT_SERIAL.rawValue | BMS_TRANSPORT_TCP.rawValue),
        defaultBaud: 115_200,
        options: [.busAddress(1...255, help: "the pack's address: 2 for the master of a stack, then 3, 4, ... (DIP switches)")])

    private let link: Link
    public let address: UInt8
    private var identity: DriverIdentity?

    public init(link: Link, options: DriverOptions) throws(DriverError) {
        try options.rejectUnknown([])
        self.link = link
        guard let a = DriverOptions.parseInteger(link.address), (1...255).contains(a) else {
            throw .invalid("address '\(link.address)' is not a Pylontech address (2 for the master, 3... for the others)")
        }
        address = UInt8(a)
    }

    public func poll() throws(DriverError) -> DriverReading {
        if identity == nil { identity = readIdentity() }
        var r = DriverReading()
        let values = try ask(.analogValues, info: [address])
        do {
            let (_, modules) = try PylonInfo.readAnalog(values.info, allModules: false)
            guard let m = modules.first else { throw DriverError.frame("0x42 answer without a module") }
            PylontechReading.apply(m, to: &r)
            r.alarms = try PylontechReading.alarms(try ask(.alarmInfo, info: [address]).info)
            PylontechReading.apply(try PylonManagement.decode(try ask(.management, info: [address]).info), to: &r)
        } catch let error as PylonError {
            throw .frame("\(error)")
        } catch let error as DriverError {
            throw error
        } catch {
            throw .frame("\(error)")
        }
        return r
    }

    public func identify() throws(DriverError) -> DriverIdentity {
        if identity == nil { identity = readIdentity() }
        return identity ?? DriverIdentity()
    }

    /// Serial, manufacturer and firmware; a pack that refuses one of them still polls.
    private func readIdentity() -> DriverIdentity {
        var id = DriverIdentity()
        id.manufacturer = "Pylontech"
        if let s = try? ask(.serialNumber, info: [address]), s.info.count >= 17 {
            id.serial = Self.text(Array(s.info[1...]))
        }
        if let m = try? ask(.manufacturerInfo, info: []), m.info.count >= 12 {
            id.model = Self.text(Array(m.info[0..<10]))
            if m.info.count > 12 { id.manufacturer = Self.text(Array(m.info[12...])) }
            id.hardware = "\(m.info[10]).\(m.info[11])"
        }
        if let f = try? ask(.firmware, info: [address]), f.info.count >= 6 {
            id.firmware = "\(f.info[3]).\(f.info[4]).\(f.info[5])"
        }
        return id
    }

    /// A 0x42 INFO block: a whole-stack answer when it holds `commandValue` (> 1) modules,
    /// otherwise a single-module answer (whose command value is the address).
    static func analogModules(_ info: [UInt8]) throws(PylonError) -> [PylonModuleValues] {
        if let all = try? PylonInfo.readAnalog(info, allModules: true), all.modules.count > 1 {
            return all.modules
        }
        return try PylonInfo.readAnalog(info, allModules: false).modules
    }

    static func text(_ bytes: [UInt8]) -> String {
        var s = String(decoding: bytes.filter { $0 >= 0x20 && $0 < 0x7F }, as: UTF8.self)
        while s.last == " " { s.removeLast() }
        return s
    }

    /// One request/answer with this pack; an answer with a return code other than 00 is the
    /// device's refusal.
    private func ask(_ command: PylonCommand, info: [UInt8]) throws(DriverError) -> PylonFrame {
        var decoder = PylontechFrameDecoder()
        var frame = try link.transact(PylonFrame(address: address, cid2: command.rawValue, info: info).encoded, decoder: &decoder)
        while frame.address != address {
            frame = try link.receive(decoder: &decoder)
        }
        guard frame.cid2 == PylonReturnCode.normal.rawValue else {
            let code = PylonReturnCode(rawValue: frame.cid2).map { "\($0)" } ?? "0x\(Hex.format([frame.cid2]))"
            throw .device("address \(address) answered \(code) to 0x\(Hex.format([command.rawValue]))")
        }
        return frame
    }

    /// Finds the packs of a stack. The master (address `from`, 2 by default) is asked for
    /// every module at once (0x42 with INFO FF); a stack that answers is reported module by
    /// module (the master numbers its slaves from its own address up). Otherwise, or with
    /// `stack=off`, each address from `from` to `to` is asked for its serial number.
    public static func discover(link: Link, options: DriverOptions, found: (String, String) -> Void) throws(DriverError) {
        try options.rejectUnknown(["from", "to", "stack"])
        let from = options["from"].flatMap(DriverOptions.parseInteger) ?? 2
        let to = options["to"].flatMap(DriverOptions.parseInteger) ?? 16
        guard (1...255).contains(from), (from...255).contains(to) else { throw .invalid("scan range \(from)...\(to) is not within 1...255") }
        let useStack: Bool
        switch options["stack"] ?? "on" {
        case "on", "true": useStack = true
        case "off", "false": useStack = false
        case let other: throw .invalid("stack '\(other)': on or off")
        }
        if useStack, let modules = stackQuery(link: link, master: UInt8(from)), !modules.isEmpty {
            link.log(BMS_LOG_INFO, "address \(from) answered the whole-stack query with \(modules.count) module(s)")
            for (n, m) in modules.enumerated() where from + n <= 255 {
                let a = from + n
                let serial = serialNumber(link: link, address: UInt8(a)).map { ", serial " + $0 } ?? ""
                found(String(a), "Pylontech-protocol pack, module \(n + 1) of \(modules.count) in the stack, \(m.cells.count) cells, "
                      + "\((m.voltage * 100).rounded() / 100) V" + serial)
            }
            return
        }
        for a in from...to {
            if let serial = serialNumber(link: link, address: UInt8(a)) {
                found(String(a), "Pylontech-protocol pack, serial " + serial)
            }
        }
    }

    /// 0x42 with INFO FF to the master: every module's values, or nil when nobody answers
    /// that form (a lone pack, or a clone that knows only single-address reads).
    static func stackQuery(link: Link, master: UInt8) -> [PylonModuleValues]? {
        var decoder = PylontechFrameDecoder()
        do {
            let frame = try link.transact(PylonFrame(address: master, cid2: PylonCommand.analogValues.rawValue, info: [0xFF]).encoded,
                                          decoder: &decoder)
            guard frame.address == master, frame.cid2 == 0 else { return nil }
            return try PylonInfo.readAnalog(frame.info, allModules: true).modules
        } catch let error as DriverError where error.status == BMS_ERR_TIMEOUT.rawValue {
            return nil
        } catch {
            link.log(BMS_LOG_DEBUG, "whole-stack query at address \(master): \(error)")
            return nil
        }
    }

    /// 0x93 to one address: its serial, or nil when it does not answer.
    static func serialNumber(link: Link, address: UInt8) -> String? {
        var decoder = PylontechFrameDecoder()
        do {
            let frame = try link.transact(PylonFrame(address: address, cid2: PylonCommand.serialNumber.rawValue, info: [address]).encoded,
                                          decoder: &decoder)
            guard frame.address == address, frame.cid2 == 0 else { return nil }
            return text(Array(frame.info.dropFirst()))
        } catch where error.status == BMS_ERR_TIMEOUT.rawValue {
            return nil
        } catch {
            link.log(BMS_LOG_WARNING, "address \(address): \(error.message)")
            return nil
        }
    }

    /// Captured answers, in order: 0x42 answers, 0x92 (10 INFO bytes), 0x93 (17 bytes),
    /// 0x51 (32 bytes) are told apart by their INFO. A whole-stack 0x42 answer (the master's
    /// reply to INFO FF) is read whole; option `module` (1-based, default 1) picks the module.
    public static func decode(frames: [[UInt8]], options: DriverOptions) throws(DriverError) -> (DriverReading, DriverIdentity) {
        try options.rejectUnknown(["module"])
        let module = options["module"].flatMap(DriverOptions.parseInteger) ?? 1
        var r = DriverReading()
        var id = DriverIdentity()
        for (n, bytes) in frames.enumerated() {
            do {
                let frame = try PylonFrame.decode(bytes)
                guard frame.cid2 == 0 else { throw DriverError.device("frame \(n + 1): return code 0x\(Hex.format([frame.cid2]))") }
                switch frame.info.count {
                case 10: PylontechReading.apply(try PylonManagement.decode(frame.info), to: &r)
                case 17: id.serial = text(Array(frame.info.dropFirst()))
                case 32:
                    id.model = text(Array(frame.info[0..<10]))
                    id.manufacturer = text(Array(frame.info[12...]))
                default:
                    let modules = try analogModules(frame.info)
                    guard (1...max(1, modules.count)).contains(module), module <= modules.count else {
                        throw DriverError.invalid("module \(module): the answer holds \(modules.count) module(s)")
                    }
                    PylontechReading.apply(modules[module - 1], to: &r)
                    r.setExtra("address", Double(frame.address))
                    if modules.count > 1 { r.setExtra("stack_modules", Double(modules.count)) }
                }
            } catch let error as DriverError {
                throw error
            } catch {
                throw .frame("frame \(n + 1): \(error)")
            }
        }
        return (r, id)
    }
}
