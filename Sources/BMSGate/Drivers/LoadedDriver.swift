import CBMSDriver

/// A driver plugin the host has loaded: its table and where it came from.
/// The table is immutable and lives as long as the process (plugins are never unloaded).
public struct LoadedDriver: @unchecked Sendable {
    /// The driver's table.
    public let table: UnsafePointer<bms_driver>
    /// The .so file it came from.
    public let path: String

    /// A driver whose table lives for the rest of the process (plugins and test drivers).
    public init(table: UnsafePointer<bms_driver>, path: String) {
        self.table = table
        self.path = path
    }

    /// Driver id (`driver:` in the YAML).
    public var id: String { String(cString: table.pointee.id) }
    /// Vendor text.
    public var vendor: String { table.pointee.vendor.map { String(cString: $0) } ?? "" }
    /// Driver version.
    public var version: String { table.pointee.version.map { String(cString: $0) } ?? "" }
    /// One-line description.
    public var summary: String { table.pointee.description.map { String(cString: $0) } ?? "" }
    /// Transport bits.
    public var transports: UInt32 { table.pointee.transports }
    /// Default baud rate (0 = none given).
    public var defaultBaud: Int { Int(table.pointee.default_baud) }
    /// ABI version of the table.
    public var abi: String { "\(table.pointee.abi_major).\(table.pointee.abi_minor)" }
    /// Whether the driver ships a device emulator.
    public var hasEmulator: Bool { has(\.emulator) && table.pointee.emulator != nil }
    /// Whether the driver can decode captured frames.
    public var canDecode: Bool { has(\.decode) && table.pointee.decode != nil }

    /// The commands the driver describes (ABI 1.1; none for a 1.0 driver).
    public var commands: [DriverCommand] {
        guard has(\.commands), has(\.command_count), let list = table.pointee.commands else { return [] }
        return (0..<table.pointee.command_count).compactMap { i in
            guard let d = list[i], d.pointee.struct_size >= MemoryLayout<bms_command_desc>.offset(of: \.writes_when)! else { return nil }
            return DriverCommand(d)
        }
    }

    /// The options the driver describes (ABI 1.1), without `address`; nil when it describes none.
    public var options: [DriverOption]? {
        guard has(\.options), has(\.option_count), let list = table.pointee.options else { return nil }
        let all = (0..<table.pointee.option_count).compactMap { i -> DriverOption? in
            guard let d = list[i], d.pointee.struct_size >= MemoryLayout<bms_option_desc>.size else { return nil }
            return DriverOption(d)
        }
        return all.filter { $0.key != "address" }
    }

    /// How the driver describes a pack's address (its `address` option), if it does.
    public var addressOption: DriverOption? {
        guard has(\.options), has(\.option_count), let list = table.pointee.options else { return nil }
        return (0..<table.pointee.option_count).lazy.compactMap { list[$0] }
            .filter { $0.pointee.struct_size >= MemoryLayout<bms_option_desc>.size }
            .map(DriverOption.init).first { $0.key == "address" }
    }
    /// Whether the driver can scan a bus.
    public var canDiscover: Bool { table.pointee.discover != nil }

    /// Transport names, e.g. ["serial", "tcp"].
    public var transportNames: [String] {
        [(BMS_TRANSPORT_SERIAL, "serial"), (BMS_TRANSPORT_TCP, "tcp"), (BMS_TRANSPORT_I2C, "i2c"), (BMS_TRANSPORT_BLE, "ble")]
            .filter { transports & $0.0.rawValue != 0 }.map(\.1)
    }

    /// The driver's BLE service, write and notify characteristic UUIDs; nil without BLE.
    public var bleUUIDs: (service: BLEUUID, write: BLEUUID, notify: BLEUUID)? {
        let t = table.pointee
        guard transports & BMS_TRANSPORT_BLE.rawValue != 0,
              let s = t.ble_service_uuid.flatMap({ BLEUUID(String(cString: $0)) }),
              let w = t.ble_write_uuid.flatMap({ BLEUUID(String(cString: $0)) }),
              let n = t.ble_notify_uuid.flatMap({ BLEUUID(String(cString: $0)) }) else { return nil }
        return (s, w, n)
    }

    /// The names the driver's devices advertise (ABI 1.2 `ble_names`), as patterns.
    public var bleNames: [String] {
        guard has(\.ble_names), let text = table.pointee.ble_names else { return [] }
        return String(cString: text).split(separator: ",").map { String($0.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
            .filter { !$0.isEmpty }
    }

    /// The serial line defaults the driver asks for (ABI 1.2 `serial_defaults`).
    public var serialDefaults: SerialLineDefaults {
        guard has(\.serial_defaults), let text = table.pointee.serial_defaults else { return SerialLineDefaults() }
        return SerialLineDefaults(text: String(cString: text))
    }

    /// True when the driver's table holds `field` (append-only growth: BMS_HAS in C).
    func has<T>(_ field: KeyPath<bms_driver, T>) -> Bool {
        guard let offset = MemoryLayout<bms_driver>.offset(of: field) else { return false }
        return Int(table.pointee.struct_size) >= offset + MemoryLayout<T>.size
    }
}

/// A plugin that could not be loaded, and why.
public struct DriverLoadFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file.
    public let path: String
    /// The reason, one line.
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}

/// Everything found in the plugin folders.
public struct DriverCatalog: Sendable {
    /// Drivers that loaded, in search order.
    public var drivers: [LoadedDriver]
    /// Files that failed, with reasons.
    public var failures: [DriverLoadFailure]
    /// Folders searched, in order.
    public var searched: [String]
    /// `.so` files skipped because they are not named like plugins (`libbmsdriver-<name>.so`).
    public var ignored: [String] = []

    /// The driver with `id`, or nil.
    public func driver(_ id: String) -> LoadedDriver? { drivers.first { $0.id == id } }
}
