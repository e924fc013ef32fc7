import CBMSDriver
import Foundation

/// A commented starting site file for the buses and packs a user names (`bmsgate init`),
/// optionally with an mqtt sink from a file's MQTT block (an instruction set's).
public struct SiteTemplate {
    /// A bus: an id and what it is (a device path, HOST:PORT, an adapter, or `sim`).
    public struct Bus {
        public var id: String
        public var device: String
        public init(id: String, device: String) {
            self.id = id
            self.device = device
        }
    }

    /// A pack: driver, bus id and address ("" for none).
    public struct Pack {
        public var driver: String
        public var bus: String
        public var address: String
        public init(driver: String, bus: String, address: String) {
            self.driver = driver
            self.bus = bus
            self.address = address
        }
    }

    /// The MQTT block of a REC instruction set, as an mqtt sink.
    public struct MQTTSeed {
        public var host: String
        public var port: Int
        public var interval: String
        public var topicPrefix: String
        public var retain: Bool
        public var username: String?
        public var passwordGiven: Bool
    }

    public var site = "home"
    public var buses: [Bus] = []
    public var packs: [Pack] = []
    public var mqtt: MQTTSeed?
    /// The file the MQTT block came from.
    public var mqttSource: String?

    public init() {}

    /// `--bus ID=DEVICE`.
    public static func bus(_ text: String) throws(SiteTemplateError) -> Bus {
        let kv = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard kv.count == 2, !kv[0].isEmpty, !kv[1].isEmpty else { throw .init("--bus '\(text)' must be ID=DEVICE (e.g. rs=/dev/ttyUSB0, bridge=192.168.1.50:8899, radio=hci0, gauge=/dev/i2c-1, lab=sim)") }
        return Bus(id: kv[0], device: kv[1])
    }

    /// `--pack DRIVER:BUS[:ADDRESS]` (a BLE address keeps its colons).
    public static func pack(_ text: String) throws(SiteTemplateError) -> Pack {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw .init("--pack '\(text)' must be DRIVER:BUS[:ADDRESS] (e.g. basen:rs:1, jk-bms:radio:C8:47:8C:12:34:56)") }
        return Pack(driver: parts[0], bus: parts[1], address: parts.count == 3 ? parts[2] : "")
    }

    /// Reads an MQTT block (`Server`, `Port`, `Frequency`, `TopicPrefix`, `Retain`,
    /// `Username`, `Password`) from a JSON file: at the top (`{"MQTT": {...}}`) or in its
    /// `Config` list, as instruction-set files carry it. The password is never copied: the
    /// sink reads it from an environment variable.
    public mutating func seedMQTT(from path: String) throws(SiteTemplateError) {
        guard let data = FileManager.default.contents(atPath: path),
              let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .init("\(path) is not a JSON object")
        }
        let block = (root["MQTT"] as? [String: Any]) ?? ((root["Config"] as? [[String: Any]])?.first?["MQTT"] as? [String: Any])
        guard let m = block, let server = m["Server"] as? String, !server.isEmpty else {
            throw .init("\(path) has no MQTT block with a Server")
        }
        let password = m["Password"] as? String ?? ""
        mqtt = MQTTSeed(host: server, port: m["Port"] as? Int ?? 1883, interval: m["Frequency"] as? String ?? "30s",
                        topicPrefix: m["TopicPrefix"] as? String ?? "", retain: m["Retain"] as? Bool ?? true,
                        username: (m["Username"] as? String).flatMap { $0.isEmpty ? nil : $0 }, passwordGiven: !password.isEmpty)
        mqttSource = (path as NSString).lastPathComponent
    }

    /// The bus line for `bus`, with its type inferred from the device and the drivers on it.
    func busLine(_ bus: Bus, drivers: [LoadedDriver]) -> String {
        let d = bus.device
        if d == "sim" {
            let t = drivers.map(\.transports).reduce(UInt32.max) { $0 & $1 }
            let transport = t & BMS_TRANSPORT_SERIAL.rawValue != 0 ? nil
                : (t & BMS_TRANSPORT_I2C.rawValue != 0 ? "i2c" : (t & BMS_TRANSPORT_BLE.rawValue != 0 ? "ble" : nil))
            return "  - {id: \(bus.id), type: sim\(transport.map { ", transport: \($0)" } ?? "")}   # simulated: the drivers' emulators answer"
        }
        if d.hasPrefix("/dev/i2c-") { return "  - {id: \(bus.id), type: i2c, device: \(d)}" }
        if d.hasPrefix("/") {
            let baud = drivers.first.map { "   # \($0.defaultBaud > 0 ? $0.defaultBaud : 9600) baud and the line settings are the driver's unless set here" } ?? ""
            return "  - {id: \(bus.id), type: serial, device: \(d)}\(baud)"
        }
        if d == "ble" || d.hasPrefix("hci") { return "  - {id: \(bus.id), type: ble, adapter: \(d == "ble" ? "hci0" : d)}" }
        if let colon = d.lastIndex(of: ":"), Int(d[d.index(after: colon)...]) != nil {
            return "  - {id: \(bus.id), type: tcp, host: \(d[..<colon]), port: \(d[d.index(after: colon)...])}   # a TCP serial bridge (transparent mode)"
        }
        return "  - {id: \(bus.id), type: serial, device: \(d)}"
    }

    /// The site file text.
    public func render(catalog: DriverCatalog, date: Date = Date()) throws(SiteTemplateError) -> String {
        for p in packs {
            guard catalog.driver(p.driver) != nil else {
                throw .init("no driver '\(p.driver)' loaded (loaded: \(catalog.drivers.map(\.id).joined(separator: ", ")))")
            }
            guard buses.contains(where: { $0.id == p.bus }) else { throw .init("pack \(p.driver) names bus '\(p.bus)': add --bus \(p.bus)=DEVICE") }
        }
        guard !packs.isEmpty else { throw .init("name at least one pack (--pack DRIVER:BUS[:ADDRESS])") }
        var ids: [String] = []
        var lines = [
            "# bmsgate site file, written by `bmsgate init` on \(ISO8601DateFormatter().string(from: date).prefix(10)).",
            "# Check it with `bmsgate check FILE`, try it with `bmsgate read --config FILE`; every key is",
            "# in README.md. Nothing here writes to a BMS: writes need allow_writes: true on a pack.",
            "site: \(site)", "", "buses:",
        ]
        for b in buses {
            let drivers = packs.filter { $0.bus == b.id }.compactMap { catalog.driver($0.driver) }
            lines.append(busLine(b, drivers: drivers))
        }
        lines += ["", "packs:"]
        for p in packs {
            let driver = catalog.driver(p.driver)!
            var id = p.driver + (p.address.isEmpty ? "" : "-" + ReadingParts.packID(p.address))
            var n = 2
            while ids.contains(id) { id = p.driver + "-\(n)"; n += 1 }
            ids.append(id)
            let address = p.address.isEmpty ? "" : ", address: \"\(p.address)\""
            let help = driver.addressOption.map { "   # address: \($0.help)" } ?? ""
            lines.append("  - {id: \(id), driver: \(p.driver), bus: \(p.bus)\(address), poll_interval: 2s}\(help)")
        }
        lines += [
            "", "banks:",
            "  # The packs an inverter sees as one battery, and what it may do. Every limit can only",
            "  # lower what the inverter is allowed; set them for YOUR cells before connecting one.",
            "  - id: main",
            "    packs: [\(ids.joined(separator: ", "))]",
            "    stale_after: 10s       # a pack without a good reading this long is offline",
            "    failsafe: zero         # a pack offline: 0 A both ways",
            "    limits:",
            "      charge_current: 50   # A, whole bank (an inverter sink with no limits would see 0 A)",
            "      discharge_current: 50",
            "      # charge_voltage: 55.2     # V (16 x 3.45 for LiFePO4)",
            "      # cell_voltage_max: 3.60   # charge current reaches 0 A at this cell voltage",
            "      # reserve_soc: 10          # % no discharge at or below",
            "", "sinks:",
            "  - {type: stdout, format: table}",
            "  # - {type: file, path: /var/lib/bmsgate/readings.jsonl, max_size: 10MB, keep: 5}",
            "  # - {type: http, listen: \"127.0.0.1:8080\"}      # API, /metrics, dashboard",
            "  # - {type: modbus-tcp, listen: \"0.0.0.0:502\", map: sunspec}   # inverters (port 502 needs the service's capability)",
        ]
        if let m = mqtt {
            lines.append("  # From the MQTT block of \(mqttSource ?? "the file"); the password is not copied: export it as")
            lines.append("  # MQTT_PASSWORD in the service's environment\(m.passwordGiven ? "" : " (the file had none)").")
            var sink = "  - {type: mqtt, host: \(m.host), port: \(m.port), interval: \"\(m.interval)\", retain: \(m.retain)"
            if !m.topicPrefix.isEmpty { sink += ", topic_prefix: \(m.topicPrefix)" }
            if let u = m.username { sink += ", username: \(u), password_env: MQTT_PASSWORD" }
            lines.append(sink + "}")
        } else {
            lines.append("  # - {type: mqtt, host: 127.0.0.1, port: 1883}        # Home Assistant discovery")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Why a template cannot be written (one line).
public struct SiteTemplateError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
