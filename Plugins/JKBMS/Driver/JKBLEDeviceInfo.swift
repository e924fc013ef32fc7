import BMSDriverKit

/// The device-info answer (type 0x03) with every field ubmsc shows. The passcodes are
/// decoded but never published: anyone reading MQTT could otherwise reconfigure the BMS.
public struct JKBLEDeviceInfo: Sendable, Equatable {
    public var model = "", hardwareVersion = "", softwareVersion = ""
    public var uptime: UInt32 = 0, powerOnCount: UInt32 = 0
    public var deviceName = "", devicePasscode = "", manufacturingDate = "", serialNumber = ""
    public var passcode = "", userData = "", setupPasscode = "", userData2 = ""

    /// Decodes a checked 300-byte answer of type 0x03.
    public init(_ f: [UInt8]) throws(DriverError) {
        guard try JKBLEFrame.check(f) == .deviceInfo else { throw .frame("not a JK BLE device-info answer (type 0x\(Hex.format([f[4]])))") }
        func text(_ range: Range<Int>) -> String {
            let bytes = f[range].drop { $0 == 0 }.prefix { $0 != 0 }
            return String(decoding: bytes.filter { $0 >= 0x20 && $0 < 0x7F }, as: UTF8.self)
        }
        func u32(_ i: Int) -> UInt32 { UInt32(f[i]) | UInt32(f[i + 1]) << 8 | UInt32(f[i + 2]) << 16 | UInt32(f[i + 3]) << 24 }
        model = text(6..<22)
        hardwareVersion = text(22..<30)
        softwareVersion = text(30..<38)
        uptime = u32(38)
        powerOnCount = u32(42)
        deviceName = text(46..<62)
        devicePasscode = text(62..<78)
        manufacturingDate = text(78..<86)
        // Firmware 19 and later have 15-character serial numbers that run into what older
        // firmware uses for the passcode (11 characters, then the passcode at 97 with no NUL
        // between): read the field up to its NUL there.
        let major = Int(softwareVersion.split(separator: ".").first ?? "") ?? 0
        if major >= 19 {
            serialNumber = text(86..<102)
            passcode = serialNumber.count > 11 ? "" : text(97..<102)
        } else {
            serialNumber = text(86..<97)
            passcode = text(97..<102)
        }
        userData = text(102..<118)
        setupPasscode = text(118..<134)
        userData2 = text(134..<150)
    }

    /// The cell-frame layout this device uses, from its version numbers: 11 and later
    /// JK02_32S, 6 to 10 JK02_24S, older ones the float JK04 layout.
    public var layout: JKBLELayout {
        let major = Self.major(hardwareVersion) ?? Self.major(softwareVersion) ?? 11
        if major >= 11 { return .jk02_32S }
        return major >= 6 ? .jk02_24S : .jk04
    }

    static func major(_ version: String) -> Int? {
        let digits = version.drop { !$0.isNumber }.prefix { $0.isNumber }
        return Int(digits)
    }

    /// The identity a Reading carries.
    public var identity: DriverIdentity {
        var id = DriverIdentity()
        id.model = model
        id.hardware = hardwareVersion
        id.firmware = softwareVersion
        id.serial = serialNumber
        id.manufacturer = "JK BMS"
        return id
    }

    /// The fields as extras (passcodes masked).
    public func addExtras(to r: inout DriverReading) {
        r.setExtra("device_up_time", Double(uptime))  // as the device-info answer said; the cell answer has a fresher "up_time"
        r.setExtra("power_on_count", Double(powerOnCount))
        r.setExtra("device_name", deviceName)
        r.setExtra("manufacturing_date", manufacturingDate)
        r.setExtra("user_data", userData)
        r.setExtra("user_data2", userData2)
        for (name, value) in [("device_passcode", devicePasscode), ("passcode", passcode), ("setup_passcode", setupPasscode)] {
            r.setExtra(name, value.isEmpty ? "" : "****")
        }
    }
}

/// The cell-info layouts of the JK firmware generations.
public enum JKBLELayout: String, Sendable, CaseIterable {
    /// Firmware before 11: 24 cells, u16 values, MOSFET temperature at 134.
    case jk02_24S = "JK02_24S"
    /// Firmware 11 and later: 32 cells; every field after the cells 32 bytes later.
    case jk02_32S = "JK02_32S"
    /// The old float layout (IEEE-754 cell voltages and resistances).
    case jk04 = "JK04"

    /// From an option value, case-insensitive.
    public init?(option: String) {
        guard let l = JKBLELayout.allCases.first(where: { $0.rawValue.lowercased() == option.lowercased() }) else { return nil }
        self = l
    }
}
