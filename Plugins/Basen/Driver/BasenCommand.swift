/// Basen command codes (byte 2 of a frame) and their sub-codes (byte 3 of a request).
public enum BasenCommand {
    /// Info: cells, current, SoC, capacity, temperatures, status, cycles, voltage, SoH.
    public static let info: UInt8 = 0x01
    /// BMS version text.
    public static let version: UInt8 = 0x33
    /// Barcode (serial number) text.
    public static let barcode: UInt8 = 0x42
    /// Parameters; sub-code `protectionSub` = protection, `alarmSub` = alarm parameters.
    public static let parameters: UInt8 = 0x43
    /// Sub-code of `parameters` for protection parameters.
    public static let protectionSub: UInt8 = 0xE0
    /// Sub-code of `parameters` for alarm parameters.
    public static let alarmSub: UInt8 = 0x00

    /// Texts of the one-byte error answers.
    public static func errorText(_ code: UInt8) -> String {
        switch code {
        case 0x00: "normal"
        case 0x01: "version error"
        case 0x02: "checksum error"
        case 0x03: "length checksum error"
        case 0x04: "invalid command"
        case 0x05: "command format error"
        case 0x06: "invalid data"
        default: "error code 0x" + String(code, radix: 16)
        }
    }
}
