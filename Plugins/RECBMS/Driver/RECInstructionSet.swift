import BMSDriverKit
import Foundation

/// The REC instruction set as data (rec-bms-instructionset.json, shipped next to the
/// plugin): the serial and session settings, and every instruction with its handler,
/// range and answer layout. Requests, decoding and range checks are driven from it, so
/// adding an instruction is editing the JSON.
public struct RECInstructionSet: Sendable {
    /// How an instruction's answer is read.
    public enum Handler: String, Sendable {
        /// One frame of text.
        case string = "String"
        /// A count frame (byte count or number of BMS units), then binary data frame(s).
        case array = "Array"
        /// One frame with a number as text; writable within `range`.
        case range = "Range"
    }

    /// One value in an Array answer.
    public struct Field: Sendable, Equatable {
        public var description: String
        /// "Volt", "Amps", "ByteCount", "UnitCount", ...
        public var unit: String
        /// "char", "byte", "float".
        public var type: String
        /// Fixed position (0 = the count frame), or nil for "template" (repeated per cell/sensor).
        public var position: Int?
        /// Bytes on the wire.
        public var size: Int { type == "float" ? 4 : 1 }
    }

    /// One instruction.
    public struct Instruction: Sendable {
        /// Wire name, e.g. "LCD1", "*IDN", "BVOL".
        public var code: String
        /// e.g. "ListCommonData1", "BalanceEnd".
        public var alias: String
        public var name: String
        public var description: String
        public var category: String
        public var readOnly: Bool
        public var handler: Handler
        /// Allowed values of a writable setting.
        public var range: ClosedRange<Double>?
        /// Value type of a String/Range answer ("float", "int", "char", "string").
        public var valueType: String
        /// Unit of a String/Range answer.
        public var unit: String
        /// Layout of an Array answer, in order.
        public var fields: [Field]

        /// The extra name for a setting: the alias in snake case ("BalanceEnd" -> "balance_end").
        public var extraName: String {
            var out = ""
            let scalars = Array(alias.unicodeScalars)
            for (i, c) in scalars.enumerated() {
                let upper = CharacterSet.uppercaseLetters.contains(c)
                if upper, i > 0 {
                    let prevLower = CharacterSet.lowercaseLetters.contains(scalars[i - 1])
                    let nextLower = i + 1 < scalars.count && CharacterSet.lowercaseLetters.contains(scalars[i + 1])
                    if prevLower || (nextLower && CharacterSet.uppercaseLetters.contains(scalars[i - 1])) { out += "_" }
                }
                out += String(c).lowercased()
            }
            return out
        }
    }

    /// Serial defaults (Config.Client).
    public var baud = 38400
    public var parity = "None"
    public var dataBits = 8
    public var stopBits = "One"
    /// Raise DTR after opening (Client.DTREnable).
    public var dtrEnable = true
    /// Answer and write timeouts, ms (Client.ReadTimeout / WriteTimeout).
    public var readTimeoutMs = 900
    public var writeTimeoutMs = 250
    /// Session rules (Config.Session), milliseconds.
    public var throttleMs = 500
    public var sessionTimeoutMs = 1000
    public var retries = 4
    /// Config.Battery.
    public var cellCount = 14
    public var multiBMS = false
    /// Config.MQTT.Frequency ("d:h:m:s") in seconds, and the topic prefix / retain flag.
    public var mqttIntervalSeconds = 30
    public var mqttTopicPrefix = ""
    public var mqttRetain = true
    /// Chemistry names by code (Config.Battery.ChemistryTypes).
    public var chemistries: [Int: String] = [:]
    /// Every instruction, in file order.
    public var instructions: [Instruction] = []

    /// The instruction with wire name `code` (case-insensitive).
    public func instruction(_ code: String) -> Instruction? {
        instructions.first { $0.code.caseInsensitiveCompare(code) == .orderedSame }
    }

    /// Parses the JSON text.
    public static func parse(_ data: Data) throws(DriverError) -> RECInstructionSet {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw .invalid("REC instruction set: not JSON: \(error.localizedDescription)")
        }
        guard let root = object as? [String: Any], let commands = root["Command"] as? [[String: Any]] else {
            throw .invalid("REC instruction set: no 'Command' list")
        }
        var set = RECInstructionSet()
        if let config = (root["Config"] as? [[String: Any]])?.first {
            let battery = config["Battery"] as? [String: Any] ?? [:]
            set.cellCount = battery["CellCount"] as? Int ?? set.cellCount
            set.multiBMS = battery["MultiBMS"] as? Bool ?? set.multiBMS
            for (k, v) in battery["ChemistryTypes"] as? [String: String] ?? [:] { if let n = Int(k) { set.chemistries[n] = v } }
            let client = config["Client"] as? [String: Any] ?? [:]
            set.baud = client["BaudRate"] as? Int ?? set.baud
            set.parity = client["Parity"] as? String ?? set.parity
            set.dataBits = client["DataBits"] as? Int ?? set.dataBits
            set.stopBits = client["StopBits"] as? String ?? set.stopBits
            set.dtrEnable = client["DTREnable"] as? Bool ?? set.dtrEnable
            set.readTimeoutMs = client["ReadTimeout"] as? Int ?? set.readTimeoutMs
            set.writeTimeoutMs = client["WriteTimeout"] as? Int ?? set.writeTimeoutMs
            let session = config["Session"] as? [String: Any] ?? [:]
            set.throttleMs = session["SessionThrottle"] as? Int ?? set.throttleMs
            set.sessionTimeoutMs = session["SessionTimeout"] as? Int ?? set.sessionTimeoutMs
            set.retries = session["Retries"] as? Int ?? set.retries
            let mqtt = config["MQTT"] as? [String: Any] ?? [:]
            if let f = mqtt["Frequency"] as? String {
                let parts = f.split(separator: ":").compactMap { Int($0) }
                if parts.count == 4 { set.mqttIntervalSeconds = ((parts[0] * 24 + parts[1]) * 60 + parts[2]) * 60 + parts[3] }
            }
            set.mqttTopicPrefix = mqtt["TopicPrefix"] as? String ?? ""
            set.mqttRetain = mqtt["Retain"] as? Bool ?? true
        }
        for c in commands {
            guard let code = c["Instruction"] as? String, let handlerText = c["Handler"] as? String,
                  let handler = Handler(rawValue: handlerText) else {
                throw .invalid("REC instruction set: an entry lacks Instruction or a known Handler: \(c["Instruction"] ?? "?")")
            }
            var range: ClosedRange<Double>?
            if let r = c["Range"] as? [String: Any], let lo = (r["Min"] as? NSNumber)?.doubleValue,
               let hi = (r["Max"] as? NSNumber)?.doubleValue, lo <= hi {
                range = lo...hi
            }
            let ret = c["Return"] as? [String: Any] ?? [:]
            var fields: [Field] = []
            if let unit = ret["Unit"] as? [String: Any], let array = unit["Array"] as? [[String: Any]] {
                for f in array {
                    fields.append(Field(description: f["Description"] as? String ?? "", unit: f["Unit"] as? String ?? "",
                                        type: f["Value"] as? String ?? "byte", position: f["Position"] as? Int))
                }
            }
            set.instructions.append(Instruction(
                code: code, alias: c["Alias"] as? String ?? code, name: c["Name"] as? String ?? code,
                description: c["Description"] as? String ?? "", category: c["Category"] as? String ?? "",
                readOnly: c["ReadOnly"] as? Bool ?? true, handler: handler, range: range,
                valueType: ret["Value"] as? String ?? "string", unit: ret["Unit"] as? String ?? "", fields: fields))
        }
        return set
    }

    /// The file name shipped with the plugin.
    public static let fileName = "rec-bms-instructionset.json"

    /// Where the JSON is looked for: `path` (the `instructions` option) if given, else next to
    /// the plugin (or test binary) in its resource folder, else next to it.
    public static func locate(_ path: String? = nil) -> [String] {
        if let path { return [path] }
        let dirs = [ownImagePath()].compactMap { $0 }.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
        return dirs.flatMap { ["\($0)/bmsgate_RECBMS.resources/\(fileName)", "\($0)/\(fileName)"] }
    }

    /// The file this code was loaded from (the plugin .so, or the test binary): the mapping of
    /// /proc/self/maps that holds this image's address (glibc's dladdr is not visible to Swift).
    static func ownImagePath() -> String? {
        let address = UInt(bitPattern: #dsohandle)
        // /proc files report size 0: read them to the end by hand.
        let fd = open("/proc/self/maps", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        let maps = String(decoding: bytes, as: UTF8.self)
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, let dash = fields[0].firstIndex(of: "-"),
                  let lo = UInt(fields[0][..<dash], radix: 16), let hi = UInt(fields[0][fields[0].index(after: dash)...], radix: 16),
                  address >= lo, address < hi else { continue }
            return fields[5...].joined(separator: " ")
        }
        return nil
    }

    /// Loads the instruction set (see `locate`).
    /// The Client block as serial line defaults for the host (bms_driver.h
    /// `serial_defaults`): .NET SerialPort names (None/Even/Odd, One/Two) to ours, DTR, and
    /// the read timeout as the pack's answer timeout. (The write timeout bounds a write of a
    /// dozen bytes, which the host's serial writes finish at once.)
    public var serialDefaults: [(key: String, value: String)] {
        let stop = ["one": "1", "two": "2", "1": "1", "2": "2"][stopBits.lowercased()] ?? "1"
        return [("parity", parity.lowercased()), ("data_bits", String(dataBits)), ("stop_bits", stop),
                ("dtr", dtrEnable ? "on" : "off"), ("timeout_ms", String(readTimeoutMs))]
    }

    public static func load(path: String? = nil) throws(DriverError) -> RECInstructionSet {
        let candidates = locate(path)
        for candidate in candidates {
            if let data = FileManager.default.contents(atPath: candidate) { return try parse(data) }
        }
        throw .invalid("REC instruction set not found (looked at \(candidates.joined(separator: ", "))); install \(fileName) next to the plugin or set the option instructions=PATH")
    }
}
