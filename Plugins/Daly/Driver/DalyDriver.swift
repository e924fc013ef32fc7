import BMSDriverKit
import CBMSDriver

/// The Daly driver (Daly "smart BMS" boards, UART or RS485 at 9600 8N1, or BLE: service
/// FFF0, writes to FFF2, answers as FFF1 notifications). A board is addressed by its board
/// number (1 for a lone board): the request carries the host address 0x40 + board - 1 on a
/// line, 0x80 over BLE, and the answer carries the board number. Every poll reads 0x90,
/// 0x93, 0x94, 0x95 (one frame per three cells), 0x96 (one frame per seven probes), 0x97
/// and 0x98.
///
/// Writes (off unless the pack has `allow_writes: true`): the charge (0xDA) and discharge
/// (0xD9) MOSFETs, confirmed, read back through 0x93, logged.
public final class DalyDriver: BMSDriver {
    public static let description = DriverDescription(
        id: "daly", vendor: "Daly (Dongguan Daly Electronics)", version: "1.0.0",
        summary: "Daly smart BMS over UART/RS485 and BLE: cells, balancing, temperatures, current, SoC, capacity, cycles, failures, MOSFETs",
        transports: UInt32(BMS_TRANSPORT_SERIAL.rawValue | BMS_TRANSPORT_TCP.rawValue | BMS_TRANSPORT_BLE.rawValue),
        defaultBaud: 9600, bleService: "fff0", bleNotify: "fff1", bleWrite: "fff2", bleNames: ["DL-*"],
        commands: [
            CommandDescriptor("mos", summary: "Switch the charge and/or discharge MOSFETs (read back through 0x93, logged)",
                              writes: true, http: ("POST", "mos"),
                              requestSchema: #"{"type":"object","properties":{"charge":{"type":"boolean"},"discharge":{"type":"boolean"},"confirm":{"type":"boolean"}},"required":["confirm"]}"#),
        ],
        options: [.busAddress(1...63, default: 1, help: "the board number (1 for a lone board; RS485 boards 1, 2, ... as set with Daly's PC tool); on a BLE bus the BLE address")])

    let link: Link
    let allowWrites: Bool
    /// The board number answers carry.
    public let board: UInt8
    /// The address byte requests carry.
    public let hostAddress: UInt8

    public init(link: Link, options: DriverOptions) throws(DriverError) {
        try options.rejectUnknown([])
        self.link = link
        allowWrites = options.allowWrites
        if link.transport == BMS_TRANSPORT_BLE.rawValue {
            board = 1
            hostAddress = 0x80
        } else {
            let text = link.address.isEmpty ? "1" : link.address
            guard let b = DriverOptions.parseInteger(text), (1...63).contains(b) else {
                throw .invalid("address '\(link.address)' is not a Daly board number (1...63, 1 for a lone board)")
            }
            board = UInt8(b)
            hostAddress = Self.hostAddress(board: board)
        }
    }

    /// 0x40 for board 1, 0x41 for board 2, ...
    static func hostAddress(board: UInt8) -> UInt8 { 0x40 + board - 1 }

    public func poll() throws(DriverError) -> DriverReading {
        var state = DalyState()
        for command in [DalyFrame.Command.soc, .mosfets, .status] { state.take(try ask(command)) }
        let cells = state.cellCount ?? 0, probes = state.probeCount ?? 0
        guard (1...48).contains(cells) else { throw .frame("0x94 says \(cells) cells (1...48 expected)") }
        for f in try ask(.cellVoltages, frames: (cells + 2) / 3) { state.take(f) }
        if probes > 0 { for f in try ask(.temperatures, frames: (probes + 6) / 7) { state.take(f) } }
        state.take(try ask(.balancing))
        state.take(try ask(.failures))
        return state.reading
    }

    public func identify() throws(DriverError) -> DriverIdentity {
        var id = DriverIdentity()
        id.manufacturer = "Daly"
        id.model = "smart BMS board \(board)"
        return id
    }

    /// One request; its answer, or `frames` answers of a multi-frame command.
    func ask(_ command: DalyFrame.Command, data: [UInt8] = []) throws(DriverError) -> DalyFrame {
        try ask(command, data: data, frames: 1)[0]
    }

    func ask(_ command: DalyFrame.Command, data: [UInt8] = [], frames: Int) throws(DriverError) -> [DalyFrame] {
        var decoder = DalyFrameDecoder()
        var buffer: [UInt8] = []
        var answers: [DalyFrame] = []
        var frame = try link.transact(DalyFrame(address: hostAddress, command: command.rawValue, data: data).encoded,
                                      decoder: &decoder, buffer: &buffer)
        while true {
            if frame.address == board && frame.command == command.rawValue {
                answers.append(frame)
                if answers.count == frames { return answers }
            } else {
                link.log(BMS_LOG_DEBUG, "ignoring board \(frame.address) command 0x\(Hex.format([frame.command]))")
            }
            do {
                frame = try link.receive(decoder: &decoder, buffer: &buffer)
            } catch where error.status == BMS_ERR_TIMEOUT.rawValue && !answers.isEmpty {
                throw .frame("0x\(Hex.format([command.rawValue])): \(answers.count) of \(frames) frames arrived")
            }
        }
    }

    /// `{"op": "mos", "charge": false, "confirm": true}`: switches the charge and/or
    /// discharge MOSFETs (a switch not named keeps its state), reads 0x93 back.
    public func command(_ requestJSON: String) throws(DriverError) -> String {
        let request = try MOSFETRequest(json: requestJSON, allowWrites: allowWrites)
        let charge = request.charge, discharge = request.discharge
        let before = try ask(.mosfets).data
        if let charge { _ = try ask(.chargeMOS, data: [charge ? 1 : 0]) }
        if let discharge { _ = try ask(.dischargeMOS, data: [discharge ? 1 : 0]) }
        let after = try ask(.mosfets).data
        func on(_ b: UInt8) -> String { b != 0 ? "on" : "off" }
        link.log(BMS_LOG_WARNING, "Daly board \(board) MOSFETs: charge \(on(before[1])) → \(on(after[1])), discharge \(on(before[2])) → \(on(after[2]))")
        if let charge, (after[1] != 0) != charge { throw .device("the charge MOSFET reads back \(on(after[1])) after switching it \(charge ? "on" : "off")") }
        if let discharge, (after[2] != 0) != discharge {
            throw .device("the discharge MOSFET reads back \(on(after[2])) after switching it \(discharge ? "on" : "off")")
        }
        return "{\"ok\":true,\"charge\":\(after[1] != 0),\"discharge\":\(after[2] != 0),\"previous\":{\"charge\":\(before[1] != 0),\"discharge\":\(before[2] != 0)}}"
    }

    /// Asks boards `from`...`to` (default 1...8) for 0x90.
    public static func discover(link: Link, options: DriverOptions, found: (String, String) -> Void) throws(DriverError) {
        try options.rejectUnknown(["from", "to"])
        let from = options["from"].flatMap(DriverOptions.parseInteger) ?? 1
        let to = options["to"].flatMap(DriverOptions.parseInteger) ?? 8
        guard (1...63).contains(from), (from...63).contains(to) else { throw .invalid("scan range \(from)...\(to) is not within 1...63") }
        for b in from...to {
            var decoder = DalyFrameDecoder()
            do {
                let frame = try link.transact(DalyFrame(address: hostAddress(board: UInt8(b)), command: DalyFrame.Command.soc.rawValue).encoded,
                                              decoder: &decoder)
                guard frame.address == UInt8(b), frame.command == DalyFrame.Command.soc.rawValue else { continue }
                var s = DalyState()
                s.take(frame)
                let r = s.reading
                found(String(b), "Daly board \(b): \(r.voltage ?? 0) V, SoC \(r.soc ?? 0) %")
            } catch where error.status == BMS_ERR_TIMEOUT.rawValue {
                continue
            } catch {
                link.log(BMS_LOG_WARNING, "board \(b): \(error.message)")
            }
        }
    }

    /// Captured frames in any order (requests are skipped); BLE notification pieces are
    /// joined first.
    public static func decode(frames: [[UInt8]], options: DriverOptions) throws(DriverError) -> (DriverReading, DriverIdentity) {
        try options.rejectUnknown([])
        var state = DalyState()
        var taken = 0
        let whole = frames.allSatisfy { $0.count == DalyFrame.size }
        if whole {
            for (i, bytes) in frames.enumerated() {
                let frame: DalyFrame
                do {
                    frame = try DalyFrame.parse(bytes)
                } catch {
                    throw DriverError(bms_status(rawValue: error.status), "frame \(i + 1): \(error.message)")
                }
                guard frame.address < 0x40 else { continue }
                state.take(frame)
                taken += 1
            }
        } else {
            var buffer = frames.flatMap { $0 }
            var decoder = DalyFrameDecoder()
            while let f = try decoder.decode(&buffer) { state.take(f); taken += 1 }
            if !buffer.isEmpty { throw .frame("\(buffer.count) bytes left after the last whole frame (truncated?)") }
        }
        guard taken > 0 else { throw .frame("no Daly answer among the frames") }
        var id = DriverIdentity()
        id.manufacturer = "Daly"
        return (state.reading, id)
    }
}
