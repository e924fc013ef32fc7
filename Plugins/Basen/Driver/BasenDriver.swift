import BMSDriverKit
import CBMSDriver

/// The Basen BMS driver (RS485, 9600 8N1, several packs on one bus by DIP address).
/// On the first poll it reads version, barcode, protection and alarm parameters once;
/// every poll reads the info record. Parameters are exposed as extras.
public final class BasenDriver: BMSDriver {
    public static let description = DriverDescription(
        id: "basen", vendor: "Basen (Basengreen)", version: "1.0.0",
        summary: "Basen BMS over RS485: cells, current, SoC, temperatures, status, parameters",
        transports: UInt32(BMS_TRANSPORT_SERIAL.rawValue | BMS_TRANSPORT_TCP.rawValue),
        defaultBaud: 9600,
        options: [.busAddress(1...255, help: "RS485 address set by the DIP switches (1-16 on most packs)")])

    private let link: Link
    /// The device address on the bus.
    public let address: UInt8
    private var started = false
    private var identity = DriverIdentity()
    private var parameterExtras: [(String, Double)] = []

    public init(link: Link, options: DriverOptions) throws(DriverError) {
        try options.rejectUnknown([])
        self.link = link
        self.address = try Self.parseAddress(link.address)
    }

    /// Parses a pack address (1...255, decimal or 0x-hex).
    static func parseAddress(_ text: String) throws(DriverError) -> UInt8 {
        guard let v = DriverOptions.parseInteger(text), (1...255).contains(v) else {
            throw .invalid("address '\(text)' is not a Basen address (1...16 by DIP switch)")
        }
        return UInt8(v)
    }

    public func poll() throws(DriverError) -> DriverReading {
        if !started { try readStatic() }
        let frame = try ask(BasenCommand.info)
        var reading = DriverReading()
        try BasenInfo.decode(frame.data, into: &reading)
        reading.setExtras(distinct: parameterExtras)
        return reading
    }

    public func identify() throws(DriverError) -> DriverIdentity {
        if !started { try readStatic() }
        return identity
    }

    /// Version, barcode and both parameter sets, read once per session.
    private func readStatic() throws(DriverError) {
        let version = try ask(BasenCommand.version)
        identity = Self.identity(version: Self.text(version.data), barcode: identity.serial)
        let barcode = try ask(BasenCommand.barcode)
        identity.serial = Self.text(barcode.data)
        parameterExtras = []
        for (sub, table, what) in [(BasenCommand.protectionSub, BasenParameters.protection, "protection"),
                                   (BasenCommand.alarmSub, BasenParameters.alarm, "alarm")] {
            do {
                let answer = try ask(BasenCommand.parameters, sub: sub)
                parameterExtras += try BasenParameters.decode(answer.data, table: table)
            } catch where error.status == BMS_ERR_DEVICE.rawValue || error.status == BMS_ERR_FRAME.rawValue {
                link.log(BMS_LOG_WARNING, "\(what) parameters unavailable: \(error.message)")
            }
        }
        // A parameter the BMS sends twice keeps one entry (its last value), so every poll
        // can add the list as it is.
        var position: [String: Int] = [:]
        var distinct: [(String, Double)] = []
        for (name, value) in parameterExtras {
            if let i = position[name] { distinct[i].1 = value } else { position[name] = distinct.count; distinct.append((name, value)) }
        }
        parameterExtras = distinct
        started = true
    }

    /// One request/answer exchange with this pack.
    private func ask(_ command: UInt8, sub: UInt8 = 0) throws(DriverError) -> BasenFrame {
        var decoder = BasenFrameDecoder()
        let request = BasenFrame.request(address: address, command: command, sub: sub)
        var frame = try link.transact(request, decoder: &decoder)
        // Another pack's answer on a shared line: keep reading for ours.
        while frame.address != address || frame.command != command {
            link.log(BMS_LOG_DEBUG, "ignoring frame from address \(frame.address) command 0x\(Hex.format([frame.command]))")
            frame = try link.receive(decoder: &decoder)
        }
        if frame.data.count == 1 {
            throw .device("address \(address) answered \(BasenCommand.errorText(frame.data[0])) to command 0x\(Hex.format([command]))")
        }
        return frame
    }

    /// Text of an ASCII answer without NULs and padding.
    static func text(_ data: [UInt8]) -> String {
        String(decoding: data.filter { $0 >= 0x20 && $0 < 0x7F }, as: UTF8.self).trimmingCharactersInSpace()
    }

    /// Identity from the version text ("HY-CW007-B200LT55-V1.0.0") and barcode.
    static func identity(version: String, barcode: String) -> DriverIdentity {
        var id = DriverIdentity()
        id.manufacturer = "Basen"
        id.firmware = version
        let chars = Array(version)
        let cut = (0..<max(chars.count - 1, 0)).last { chars[$0] == "-" && chars[$0 + 1] == "V" }
        id.model = cut.map { String(chars[..<$0]) } ?? version
        id.serial = barcode
        return id
    }

    public static func discover(link: Link, options: DriverOptions,
                                found: (String, String) -> Void) throws(DriverError) {
        try options.rejectUnknown(["from", "to"])
        let from = options["from"].flatMap(DriverOptions.parseInteger) ?? 1
        let to = options["to"].flatMap(DriverOptions.parseInteger) ?? 16
        guard (1...255).contains(from), (from...255).contains(to) else { throw .invalid("scan range \(from)...\(to) is not within 1...255") }
        for a in from...to {
            var decoder = BasenFrameDecoder()
            do {
                var frame = try link.transact(BasenFrame.request(address: UInt8(a), command: BasenCommand.version), decoder: &decoder)
                while frame.address != UInt8(a) { frame = try link.receive(decoder: &decoder) }
                found(String(a), "Basen BMS " + text(frame.data))
            } catch where error.status == BMS_ERR_TIMEOUT.rawValue {
                continue
            } catch {
                link.log(BMS_LOG_WARNING, "address \(a): \(error.message)")
            }
        }
    }

    public static func decode(frames: [[UInt8]], options: DriverOptions) throws(DriverError)
        -> (DriverReading, DriverIdentity) {
        try options.rejectUnknown(["parameters"])
        var reading = DriverReading()
        var version = "", barcode = ""
        var sawInfo = false
        for (n, bytes) in frames.enumerated() {
            let frame: BasenFrame
            do { frame = try BasenFrame.parse(bytes) } catch { throw DriverError(bms_status(rawValue: error.status), "frame \(n + 1): \(error.message)") }
            if frame.data.count == 1 {
                throw .device("frame \(n + 1): device answered \(BasenCommand.errorText(frame.data[0]))")
            }
            switch frame.command {
            case BasenCommand.info:
                do { try BasenInfo.decode(frame.data, into: &reading) } catch { throw DriverError(bms_status(rawValue: error.status), "frame \(n + 1): \(error.message)") }
                sawInfo = true
            case BasenCommand.version: version = text(frame.data)
            case BasenCommand.barcode: barcode = text(frame.data)
            case BasenCommand.parameters:
                let entries = frame.data.count / 4
                let alarmTable = options["parameters"].map { $0 == "alarm" } ?? (entries <= BasenParameters.alarm.count)
                let table = alarmTable ? BasenParameters.alarm : BasenParameters.protection
                for (name, value) in try BasenParameters.decode(frame.data, table: table) { reading.setExtra(name, value) }
            default:
                throw .frame("frame \(n + 1): unknown command 0x\(Hex.format([frame.command]))")
            }
            reading.setExtra("address", Double(frame.address))
        }
        let identity = version.isEmpty && barcode.isEmpty ? DriverIdentity() : Self.identity(version: version, barcode: barcode)
        if !sawInfo && identity == DriverIdentity() && reading.extras.isEmpty { throw .frame("no frame decoded") }
        return (reading, identity)
    }
}

