import BMSDriverKit
import CBMSDriver
import Foundation

/// The JBD driver (Jiabaida boards sold as Xiaoxiang, Overkill Solar and under many pack
/// brands). One BMS per UART/RS485 port at 9600 8N1, or over BLE (service FF00, writes to
/// FF02, answers as FF01 notifications, split into 20-byte pieces). Every poll reads 0x03
/// (basic information) and 0x04 (cell voltages); the first poll reads 0x05 (hardware name).
/// A sleeping board ignores the first request, so a silent first try is repeated once.
///
/// Writes (off unless the pack has `allow_writes: true`): the MOSFET switches (register
/// 0xE1), confirmed, read back through 0x03, logged.
public final class JBDDriver: BMSDriver {
    public static let description = DriverDescription(
        id: "jbd", vendor: "JBD (Jiabaida, Xiaoxiang, Overkill Solar)", version: "1.0.0",
        summary: "JBD smart BMS over UART/RS485 and BLE: cells, balancing, temperatures, current, capacities, cycles, protections, MOSFETs",
        transports: UInt32(BMS_TRANSPORT_SERIAL.rawValue | BMS_TRANSPORT_TCP.rawValue | BMS_TRANSPORT_BLE.rawValue),
        defaultBaud: 9600, bleService: "ff00", bleNotify: "ff01", bleWrite: "ff02", bleNames: ["xiaoxiang*", "JBD-*", "SP0?S*", "SP1?S*", "SP2?S*", "DP04S*"],
        commands: [
            CommandDescriptor("mos", summary: "Switch the charge and/or discharge MOSFETs (read back through 0x03, logged)",
                              writes: true, http: ("POST", "mos"),
                              requestSchema: #"{"type":"object","properties":{"charge":{"type":"boolean"},"discharge":{"type":"boolean"},"confirm":{"type":"boolean"}},"required":["confirm"]}"#),
        ],
        options: [
            OptionDescriptor("address", .string, default: "0", help: "not used on a serial line (one BMS per port, 0); the BLE address on a BLE bus"),
        ])

    let link: Link
    let allowWrites: Bool
    private var identity: DriverIdentity?

    public init(link: Link, options: DriverOptions) throws(DriverError) {
        try options.rejectUnknown([])
        self.link = link
        allowWrites = options.allowWrites
    }

    public func poll() throws(DriverError) -> DriverReading {
        if identity == nil { identity = readIdentity() }
        var r = DriverReading()
        let info = try JBDBasicInfo.decode(try ask(.basicInfo).data)
        info.apply(to: &r)
        r.cells = try Self.cells(try ask(.cellVoltages).data)
        if r.cells.count != info.cellCount {
            link.log(BMS_LOG_DEBUG, "0x04 holds \(r.cells.count) cells, 0x03 says \(info.cellCount)")
        }
        return r
    }

    public func identify() throws(DriverError) -> DriverIdentity {
        if identity == nil { identity = readIdentity() }
        return identity ?? DriverIdentity()
    }

    /// The hardware name (0x05) and software version; a board that refuses 0x05 still polls.
    private func readIdentity() -> DriverIdentity {
        var id = DriverIdentity()
        id.manufacturer = "JBD"
        if let name = try? ask(.hardwareName) { id.model = Self.text(name.data) }
        if let info = try? JBDBasicInfo.decode(try ask(.basicInfo).data) { id.firmware = info.version }
        return id
    }

    /// 0x04: two bytes per cell, mV.
    static func cells(_ d: [UInt8]) throws(DriverError) -> [Double] {
        guard d.count % 2 == 0, d.count <= 64 else { throw .frame("cell voltages: \(d.count) bytes (two per cell, at most 32 cells)") }
        return stride(from: 0, to: d.count, by: 2).map { Double(Int(d[$0]) << 8 | Int(d[$0 + 1])) / 1000 }
    }

    static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.filter { $0 >= 0x20 && $0 < 0x7F }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }

    /// One request and its answer; a board that ignores the first request (asleep) is
    /// asked again once. A refused request (status 0x80) is the device's error.
    func ask(_ register: JBDFrame.Register, kind: UInt8 = JBDFrame.read, data: [UInt8] = []) throws(DriverError) -> JBDFrame {
        var frame: JBDFrame
        do {
            frame = try exchange(register.rawValue, kind: kind, data: data)
        } catch where error.status == BMS_ERR_TIMEOUT.rawValue {
            link.log(BMS_LOG_DEBUG, "no answer to 0x\(Hex.format([register.rawValue])): asking again (a sleeping board ignores the first request)")
            frame = try exchange(register.rawValue, kind: kind, data: data)
        }
        guard frame.status == 0 else {
            throw .device("the BMS refused 0x\(Hex.format([register.rawValue])) (status 0x\(Hex.format([frame.status])))")
        }
        return frame
    }

    private func exchange(_ register: UInt8, kind: UInt8, data: [UInt8]) throws(DriverError) -> JBDFrame {
        var decoder = JBDFrameDecoder()
        var frame = try link.transact(JBDFrame.request(register, kind: kind, data: data), decoder: &decoder)
        while frame.register != register {
            link.log(BMS_LOG_DEBUG, "ignoring an answer to 0x\(Hex.format([frame.register]))")
            frame = try link.receive(decoder: &decoder)
        }
        return frame
    }

    /// `{"op": "mos", "charge": false, "confirm": true}`: switches the charge and/or
    /// discharge MOSFETs (a switch not named keeps its state), reads 0x03 back.
    public func command(_ requestJSON: String) throws(DriverError) -> String {
        let request = try MOSFETRequest(json: requestJSON, allowWrites: allowWrites)
        let charge = request.charge, discharge = request.discharge
        let before = try JBDBasicInfo.decode(try ask(.basicInfo).data)
        let wantCharge = charge ?? before.chargeEnabled, wantDischarge = discharge ?? before.dischargeEnabled
        let bits: UInt8 = (wantCharge ? 0 : 1) | (wantDischarge ? 0 : 2)
        _ = try ask(.mosControl, kind: JBDFrame.write, data: [0x00, bits])
        let after = try JBDBasicInfo.decode(try ask(.basicInfo).data)
        func on(_ b: Bool) -> String { b ? "on" : "off" }
        link.log(BMS_LOG_WARNING, "JBD MOSFETs: charge \(on(before.chargeEnabled)) → \(on(after.chargeEnabled)), discharge \(on(before.dischargeEnabled)) → \(on(after.dischargeEnabled)) (asked \(on(wantCharge))/\(on(wantDischarge)))")
        guard after.chargeEnabled == wantCharge, after.dischargeEnabled == wantDischarge else {
            throw .device("the BMS reads back charge \(on(after.chargeEnabled)), discharge \(on(after.dischargeEnabled)) after asking \(on(wantCharge))/\(on(wantDischarge)) (a protection may hold a MOSFET off)")
        }
        return "{\"ok\":true,\"charge\":\(after.chargeEnabled),\"discharge\":\(after.dischargeEnabled),\"previous\":{\"charge\":\(before.chargeEnabled),\"discharge\":\(before.dischargeEnabled)}}"
    }

    /// The protocol has no addresses: the one BMS on the line is asked for its name.
    public static func discover(link: Link, options: DriverOptions, found: (String, String) -> Void) throws(DriverError) {
        try options.rejectUnknown(["from", "to"])
        var decoder = JBDFrameDecoder()
        let request = JBDFrame.request(JBDFrame.Register.hardwareName.rawValue)
        let frame: JBDFrame
        do {
            frame = try link.transact(request, decoder: &decoder)
        } catch where error.status == BMS_ERR_TIMEOUT.rawValue {
            frame = try link.transact(request, decoder: &decoder)  // asleep: the second request wakes it
        }
        guard frame.register == JBDFrame.Register.hardwareName.rawValue, frame.status == 0 else { return }
        found("0", "JBD BMS \(text(frame.data)) (one BMS per port: the address is not used)")
    }

    /// Captured answers (0x03, 0x04, 0x05; requests are skipped), or BLE notification
    /// pieces in order, which are joined first.
    public static func decode(frames: [[UInt8]], options: DriverOptions) throws(DriverError) -> (DriverReading, DriverIdentity) {
        try options.rejectUnknown([])
        var answers: [JBDFrame] = []
        let whole = frames.allSatisfy { $0.first == JBDFrame.start && $0.last == JBDFrame.end }
        if whole {
            for (i, bytes) in frames.enumerated() {
                if bytes.count > 1, bytes[1] == JBDFrame.read || bytes[1] == JBDFrame.write { continue }
                do {
                    answers.append(try JBDFrame.parse(bytes))
                } catch {
                    throw DriverError(bms_status(rawValue: error.status), "frame \(i + 1): \(error.message)")
                }
            }
        } else {
            var buffer = frames.flatMap { $0 }
            var decoder = JBDFrameDecoder()
            while let f = try decoder.decode(&buffer) { answers.append(f) }
            if !buffer.isEmpty { throw .frame("\(buffer.count) bytes left after the last whole answer (truncated?)") }
        }
        var r = DriverReading()
        var id = DriverIdentity()
        id.manufacturer = "JBD"
        var seen = false
        for f in answers {
            guard f.status == 0 else { throw .device("an answer to 0x\(Hex.format([f.register])) with status 0x\(Hex.format([f.status]))") }
            switch JBDFrame.Register(rawValue: f.register) {
            case .basicInfo:
                let info = try JBDBasicInfo.decode(f.data)
                info.apply(to: &r)
                id.firmware = info.version
                seen = true
            case .cellVoltages:
                r.cells = try cells(f.data)
                seen = true
            case .hardwareName:
                id.model = text(f.data)
                seen = true
            case .mosControl, nil:
                continue
            }
        }
        guard seen else { throw .frame("no JBD answer (0x03, 0x04 or 0x05) among the frames") }
        return (r, id)
    }
}
