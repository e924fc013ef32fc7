/// ATT protocol data units (Bluetooth Core, Vol 3, Part F): the subset a GATT client
/// needs to find one service, its characteristics and descriptors, turn notifications on
/// and write commands. Multi-byte fields are little-endian.
public enum ATT {
    public static let errorResponse: UInt8 = 0x01
    public static let exchangeMTURequest: UInt8 = 0x02, exchangeMTUResponse: UInt8 = 0x03
    public static let findInformationRequest: UInt8 = 0x04, findInformationResponse: UInt8 = 0x05
    public static let readByTypeRequest: UInt8 = 0x08, readByTypeResponse: UInt8 = 0x09
    public static let readByGroupTypeRequest: UInt8 = 0x10, readByGroupTypeResponse: UInt8 = 0x11
    public static let writeRequest: UInt8 = 0x12, writeResponse: UInt8 = 0x13
    public static let notification: UInt8 = 0x1B, indication: UInt8 = 0x1D, confirmation: UInt8 = 0x1E
    public static let writeCommand: UInt8 = 0x52
    /// Error codes.
    public static let invalidHandle: UInt8 = 0x01, requestNotSupported: UInt8 = 0x06, attributeNotFound: UInt8 = 0x0A
    /// The default ATT MTU before an exchange.
    public static let defaultMTU = 23

    /// Characteristic properties.
    public static let propWriteWithoutResponse: UInt8 = 0x04, propWrite: UInt8 = 0x08
    public static let propNotify: UInt8 = 0x10, propIndicate: UInt8 = 0x20

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }

    /// A request PDU: opcode, then handles/UUIDs/values as the opcode wants.
    static func pdu(_ opcode: UInt8, _ parts: [UInt8]...) -> [UInt8] { [opcode] + parts.flatMap { $0 } }

    /// An error response to `request` about `handle`.
    static func error(_ request: UInt8, handle: UInt16, code: UInt8) -> [UInt8] {
        pdu(errorResponse, [request], le16(handle), [code])
    }

    /// A short description of an ATT error code.
    static func describe(_ code: UInt8) -> String {
        switch code {
        case 0x01: "invalid handle"
        case 0x02: "read not permitted"
        case 0x03: "write not permitted"
        case 0x05: "insufficient authentication"
        case 0x06: "request not supported"
        case 0x0A: "attribute not found"
        case 0x0D: "invalid attribute value length"
        case 0x0F: "insufficient encryption"
        default: "ATT error 0x" + String(code, radix: 16)
        }
    }
}

/// One characteristic found by discovery.
public struct GATTCharacteristic: Sendable, Equatable {
    public var declarationHandle: UInt16
    public var properties: UInt8
    public var valueHandle: UInt16
    public var uuid: BLEUUID
    /// The client configuration descriptor (0x2902), when there is one.
    public var cccdHandle: UInt16?

    public var canWrite: Bool { properties & (ATT.propWrite | ATT.propWriteWithoutResponse) != 0 }
    public var canNotify: Bool { properties & (ATT.propNotify | ATT.propIndicate) != 0 }
}
