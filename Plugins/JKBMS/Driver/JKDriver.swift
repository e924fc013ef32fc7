import BMSDriverKit
import CBMSDriver

/// The JK BMS driver. On serial/TCP/sim buses it speaks the RS485/UART "NW" protocol
/// (115200 8N1): one read-all (0x06) per poll, the activation command (0x01) when a
/// dormant BMS does not answer, read-one (0x03) and write (0x02) through `command`.
/// Several packs share a line by terminal id (the pack's `address`, 0 when alone).
///
/// On BLE buses it speaks JK's BLE protocol (see JKBLESession).
///
/// Options: `protocol_version` (NW: `0` or `1`, the 0x84 current rule, overriding the
/// frame's 0xC0; BLE: JK02_24S, JK02_32S or JK04, overriding the device info).
public final class JKDriver: BMSDriver {
    public static let description = DriverDescription(
        id: "jk-bms", vendor: "JiKong (JK BMS)", version: "1.0.0",
        summary: "JK BMS over RS485/UART (NW protocol) and BLE (JK02_24S, JK02_32S, JK04): cells, temperatures, current, alarms, settings",
        transports: UInt32(BMS_TRANSPORT_SERIAL.rawValue | BMS_TRANSPORT_TCP.rawValue | BMS_TRANSPORT_BLE.rawValue),
        defaultBaud: 115200, bleService: "ffe0", bleNotify: "ffe1", bleWrite: "ffe1", bleNames: ["JK-*", "JK_*", "JK*BMS*"],
        commands: [
            CommandDescriptor("list", summary: "Settings registers (NW protocol) with ranges and units", http: ("GET", "settings")),
            CommandDescriptor("get", summary: "Read one register by name or 0x id", http: ("POST", "settings/get"),
                              requestSchema: #"{"type":"object","properties":{"register":{"type":"string"}},"required":["register"]}"#),
            CommandDescriptor("set", summary: "Write one setting (range-checked, read back, logged)", writes: true, http: ("POST", "settings/set"),
                              requestSchema: #"{"type":"object","properties":{"register":{"type":"string"},"value":{},"confirm":{"type":"boolean"}},"required":["register","value","confirm"]}"#),
        ],
        options: [
            OptionDescriptor("address", .int, default: "0", range: 0...4_294_967_295,
                             help: "RS485 terminal id (0-4294967295); on a BLE bus the device's BLE address"),
            OptionDescriptor("protocol_version", .string,
                             help: "NW: 0 or 1 (legacy/c0) to force the current rule; BLE: JK02_24S, JK02_32S or JK04 to force the layout"),
            OptionDescriptor("pair_code", .string,
                             help: "NW: the BMS's pair code, sent (command 0x05) before every parameter write; never logged or shown"),
        ])

    let link: Link
    /// Terminal id of this pack.
    public let terminal: UInt32
    /// Set on BLE buses: the BLE protocol instead of NW.
    let ble: JKBLESession?
    let allowWrites: Bool
    let protocolVersion: Int?
    /// The last read-all answer (identity and settings come from it).
    public private(set) var last: JKNWData?
    /// When the activation command was last sent while the BMS was silent (nil while it
    /// answers): a BMS that stops answering is woken again, at most every 30 s.
    var lastActivationMs: UInt64?
    /// The pair code for writes (never logged).
    let pairCode: String?
    /// The record number's random high byte, and the sequence in its low three bytes.
    let recordRandom = UInt32(UInt8.random(in: 1...255)) << 24
    var recordSequence: UInt32 = 0
    /// The last active upload (transport type 2) this BMS sent unasked.
    public private(set) var lastUpload: JKNWData?

    public init(link: Link, options: DriverOptions) throws(DriverError) {
        try options.rejectUnknown(["protocol_version", "pair_code"])
        self.link = link
        allowWrites = options.allowWrites
        pairCode = options["pair_code"]
        if link.transport == BMS_TRANSPORT_BLE.rawValue {
            ble = try JKBLESession(link: link, options: options)
            terminal = 0
            protocolVersion = nil
            return
        }
        ble = nil
        let text = link.address.isEmpty ? "0" : link.address
        guard let t = DriverOptions.parseInteger(text), t >= 0, t <= 0xFFFF_FFFF else {
            throw .invalid("address '\(link.address)' is not a JK terminal id (0...4294967295, 0x... allowed)")
        }
        terminal = UInt32(t)
        protocolVersion = try Self.nwProtocolVersion(options["protocol_version"])
    }

    /// `protocol_version` for NW: "0"/"1" (also "legacy"/"c0"); BLE layout names are accepted
    /// and ignored here.
    static func nwProtocolVersion(_ text: String?) throws(DriverError) -> Int? {
        guard let text else { return nil }
        switch text.lowercased() {
        case "0", "legacy": return 0
        case "1", "c0": return 1
        case "jk02_24s", "jk02_32s", "jk04": return nil
        default: throw .invalid("protocol_version '\(text)' must be 0 or 1 (NW current rule) or JK02_24S, JK02_32S, JK04 (BLE)")
        }
    }

    /// Sends a request and returns its answer: a response with the same command, our
    /// terminal and our record number (a BMS that does not echo record numbers answers 0).
    /// Answers to earlier requests (another record number) and frames of other terminals on
    /// a shared line are skipped; an active upload (type 2) of ours is kept in `lastUpload`
    /// and, when it carries read-all data, answers a read-all. Every transaction keeps the
    /// document's 100 ms from the last one on the line.
    func exchange(_ command: JKNWFrame.Command, _ information: [UInt8]) throws(DriverError) -> JKNWFrame {
        recordSequence = (recordSequence + 1) & 0xFF_FFFF
        let record = recordRandom | recordSequence
        var request = JKNWFrame.request(terminal: terminal, command, information: information)
        request.record = record
        JKLineSpacing.waitForGap(link)
        defer { JKLineSpacing.ended(link) }
        var decoder = JKNWFrameDecoder()
        var buffer: [UInt8] = []
        var frame = try link.transact(request.encoded, decoder: &decoder, buffer: &buffer)
        while true {
            let ours = frame.terminal == terminal || terminal == 0
            if ours && frame.type == JKNWFrame.typeUpload, let data = try? JKNWData.parse(frame.information) {
                link.log(BMS_LOG_DEBUG, "JK terminal \(frame.terminal): active upload of \(data.entries.count) identifier(s)")
                lastUpload = data
                if command == .readAll && !data.cells.isEmpty { return frame }
            } else if ours && frame.type == JKNWFrame.typeResponse && frame.command == command.rawValue {
                if frame.record == record || frame.record == 0 { return frame }
                link.log(BMS_LOG_DEBUG, "skipping an answer to an earlier request (record \(frame.record), ours \(record))")
            }
            frame = try link.receive(decoder: &decoder, buffer: &buffer)
        }
    }

    /// Read-all. A BMS that does not answer is sent the activation command and asked
    /// again: the first time it falls silent, then at most every 30 s while it stays silent.
    func readAll() throws(DriverError) -> JKNWData {
        do {
            let data = try JKNWData.parse(try exchange(.readAll, [0x00]).information)
            lastActivationMs = nil
            return data
        } catch where error.status == BMS_ERR_TIMEOUT.rawValue {
            let now = link.nowMs()
            if let last = lastActivationMs, now &- last < 30_000 { throw error }
            link.log(BMS_LOG_INFO, "JK terminal \(terminal): no answer; sending the activation command")
            lastActivationMs = now
            _ = try? exchange(.activate, [0x00])
            let data = try JKNWData.parse(try exchange(.readAll, [0x00]).information)
            lastActivationMs = nil
            return data
        }
    }

    /// Sends the pair code (command 0x05) the document requires before a parameter change.
    func pair() throws(DriverError) {
        guard let pairCode else { return }
        do {
            _ = try exchange(.pair, Array(pairCode.utf8))
        } catch where error.status == BMS_ERR_TIMEOUT.rawValue {
            throw .device("the BMS did not accept the pair code (check the pack's pair_code option)")
        }
    }

    public func poll() throws(DriverError) -> DriverReading {
        if let ble { return try ble.poll() }
        let data = try readAll()
        guard !data.cells.isEmpty || data.bytes(0x83) != nil else { throw .frame("JK NW answer without cells or total voltage") }
        last = data
        return JKNWReading.build(data, protocolVersion: protocolVersion)
    }

    public func identify() throws(DriverError) -> DriverIdentity {
        if let ble { return try ble.deviceInfo().identity }
        if last == nil { last = try readAll() }
        return JKNWReading.identity(last!)
    }

    public func command(_ requestJSON: String) throws(DriverError) -> String {
        guard ble == nil else { throw .unsupported("JK settings are written over RS485 (NW); over BLE this driver only reads") }
        return try JKNWCommand.run(requestJSON, driver: self)
    }

    public static func discover(link: Link, options: DriverOptions, found: (String, String) -> Void) throws(DriverError) {
        // Terminal 0 answers for a lone BMS; its own id is in the answer.
        var decoder = JKNWFrameDecoder()
        let frame = try link.transact(JKNWFrame.request(terminal: 0, .readAll, information: [0x00]).encoded, decoder: &decoder)
        let data = try JKNWData.parse(frame.information)
        let id = JKNWReading.identity(data)
        found("\(frame.terminal)", "JK BMS \(id.model) firmware \(id.firmware), \(data.cells.count) cells")
    }

    /// Decodes captured frames: NW frames (4E 57 ...) and BLE notification bytes (whole
    /// answers or fragments, in order; a device-info answer selects the cell layout, option
    /// `protocol_version` forces it).
    public static func decode(frames: [[UInt8]], options: DriverOptions) throws(DriverError) -> (DriverReading, DriverIdentity) {
        let nw = frames.filter { $0.starts(with: JKNWFrame.stx) }
        let ble = frames.filter { !$0.starts(with: JKNWFrame.stx) }
        if !ble.isEmpty && nw.isEmpty { return try decodeBLE(ble, options: options) }
        let version = try nwProtocolVersion(options["protocol_version"])
        var data = JKNWData()
        for (i, bytes) in frames.enumerated() {
            let frame: JKNWFrame
            do {
                frame = try JKNWFrame.parse(bytes)
            } catch {
                throw DriverError(bms_status(rawValue: error.status), "frame \(i + 1): \(error.message)")
            }
            guard frame.type != JKNWFrame.typeRequest else { continue }  // a captured request holds no data
            let part: JKNWData
            do {
                part = try JKNWData.parse(frame.information)
            } catch {
                throw DriverError(bms_status(rawValue: error.status), "frame \(i + 1): \(error.message)")
            }
            if !part.cells.isEmpty { data.cells = part.cells }
            for e in part.entries {
                data.entries.removeAll { $0.code == e.code }
                data.entries.append(e)
            }
        }
        guard !data.cells.isEmpty || !data.entries.isEmpty else { throw .frame("no JK NW answer among the frames") }
        return (JKNWReading.build(data, protocolVersion: version), JKNWReading.identity(data))
    }

    static func decodeBLE(_ chunks: [[UInt8]], options: DriverOptions) throws(DriverError) -> (DriverReading, DriverIdentity) {
        var forced: JKBLELayout?
        if let text = options["protocol_version"] {
            guard let l = JKBLELayout(option: text) else {
                throw .invalid("protocol_version '\(text)' must be JK02_24S, JK02_32S or JK04 for BLE frames")
            }
            forced = l
        }
        var assembler = JKBLEAssembler()
        var buffer: [UInt8] = []
        var answers: [[UInt8]] = []
        for chunk in chunks {
            buffer += chunk
            while let answer = try assembler.decode(&buffer) { answers.append(answer) }
        }
        var info: JKBLEDeviceInfo?
        var reading: DriverReading?
        var settings: [(String, Double)] = []
        var status: [String] = []
        for answer in answers {
            switch JKBLEFrame.Kind(rawValue: answer[4]) {
            case .deviceInfo: info = try JKBLEDeviceInfo(answer)
            case .cellInfo:
                if let layout = forced ?? info?.layout {
                    reading = try JKBLECellInfo.decode(answer, layout: layout)
                } else {
                    // No device info: the first layout whose values are plausible.
                    for layout in [JKBLELayout.jk02_32S, .jk02_24S, .jk04] {
                        if let r = try? JKBLECellInfo.decode(answer, layout: layout) {
                            reading = r
                            status = ["layout \(layout.rawValue) guessed (no device-info answer)"]
                            break
                        }
                    }
                    if reading == nil { throw .frame("JK BLE cell info is implausible in every layout (JK02_32S, JK02_24S, JK04)") }
                }
            case .settings: settings = try JKBLESettings.decode(answer)
            default: continue
            }
        }
        guard info != nil || reading != nil else {
            throw assembler.checksumErrors > 0
                ? .checksum("no complete JK BLE answer: \(assembler.checksumErrors) candidate(s) failed the checksum")
                : .frame("no complete JK BLE answer (300 bytes from 55 AA EB 90) among the frames")
        }
        var r = reading ?? DriverReading()
        r.status += status
        if (forced ?? info?.layout) != .jk04 { for (name, value) in settings { r.setExtra(name, value) } }
        if let info {
            info.addExtras(to: &r)
            r.setExtra("protocol_version", (forced ?? info.layout).rawValue)
        }
        return (r, info?.identity ?? DriverIdentity())
    }
}
