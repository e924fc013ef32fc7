/// One frame of the Pylontech low-voltage RS485 protocol (V3.3/V3.5):
/// `~` VER ADR CID1 CID2 LENGTH INFO CHKSUM CR, everything between `~` and CR as uppercase
/// hex ASCII. LENGTH is a 4-bit length checksum over a 12-bit LENID (the number of ASCII
/// characters of INFO); CHKSUM is the two's complement of the sum of the ASCII codes from
/// VER to the end of INFO. In answers CID2 carries the return code.
public struct PylonFrame: Sendable, Equatable {
    public var version: UInt8
    public var address: UInt8
    public var cid1: UInt8
    /// The command in a request; the return code in an answer.
    public var cid2: UInt8
    /// INFO as bytes (each sent as two hex characters).
    public var info: [UInt8]

    /// CID1 of a battery.
    public static let battery: UInt8 = 0x46

    public init(version: UInt8 = 0x20, address: UInt8, cid1: UInt8 = PylonFrame.battery, cid2: UInt8, info: [UInt8] = []) {
        self.version = version
        self.address = address
        self.cid1 = cid1
        self.cid2 = cid2
        self.info = info
    }

    /// The LENGTH field for INFO of `characters` ASCII characters: LCHKSUM in the top
    /// nibble, the two's complement (mod 16) of the sum of LENID's three nibbles, which is 0
    /// when that sum is a multiple of 16 (not 16: that would spill into a fifth digit).
    public static func lengthField(characters: Int) -> UInt16 {
        let lenid = UInt16(characters & 0xFFF)
        let sum = (lenid & 0xF) + (lenid >> 4 & 0xF) + (lenid >> 8 & 0xF)
        let lchk = (16 - sum % 16) % 16
        return lchk << 12 | lenid
    }

    /// CHKSUM over `ascii` (VER to the end of INFO): (-(sum)) mod 65536.
    public static func checksum(_ ascii: some Sequence<UInt8>) -> UInt16 {
        let sum = ascii.reduce(UInt32(0)) { $0 + UInt32($1) }
        return UInt16(truncatingIfNeeded: (0x1_0000 - sum % 0x1_0000) % 0x1_0000)
    }

    /// The whole frame, `~` to CR.
    public var encoded: [UInt8] {
        var body: [UInt8] = []
        for b in [version, address, cid1, cid2] { Hex.append(b, to: &body) }
        let length = Self.lengthField(characters: info.count * 2)
        Hex.append(UInt8(length >> 8), to: &body)
        Hex.append(UInt8(length & 0xFF), to: &body)
        for b in info { Hex.append(b, to: &body) }
        let sum = Self.checksum(body)
        Hex.append(UInt8(sum >> 8), to: &body)
        Hex.append(UInt8(sum & 0xFF), to: &body)
        return [0x7E] + body + [0x0D]
    }

    /// Decodes a frame from `~` to CR (the CR may be missing). Throws the error whose return
    /// code the answer should carry.
    public static func decode(_ bytes: [UInt8]) throws(PylonError) -> PylonFrame {
        var chars = bytes
        if chars.last == 0x0D { chars.removeLast() }
        guard chars.first == 0x7E else { throw .format("a frame starts with '~'") }
        chars.removeFirst()
        guard chars.count >= 16, chars.count % 2 == 0 else { throw .format("\(chars.count + 1) characters is no frame") }
        guard let raw = Hex.bytes(chars) else { throw .format("not hex ASCII") }
        let body = chars.dropLast(4)
        let sent = UInt16(raw[raw.count - 2]) << 8 | UInt16(raw[raw.count - 1])
        guard checksum(body) == sent else { throw .checksum(expected: checksum(body), got: sent) }
        let length = UInt16(raw[4]) << 8 | UInt16(raw[5])
        let lenid = Int(length & 0xFFF)
        guard lengthField(characters: lenid) == length else { throw .lengthChecksum }
        let infoChars = chars.count - 12 - 4
        guard lenid == infoChars else { throw .format("LENID says \(lenid) characters of INFO, the frame has \(infoChars)") }
        return PylonFrame(version: raw[0], address: raw[1], cid1: raw[2], cid2: raw[3], info: Array(raw[6..<(raw.count - 2)]))
    }
}

/// Why a frame was refused, with the return code an answer carries for it.
public enum PylonError: Error, Equatable, Sendable, CustomStringConvertible {
    case format(String)
    case checksum(expected: UInt16, got: UInt16)
    case lengthChecksum
    case version(UInt8)
    case unknownCommand(UInt8)
    case invalidData(String)
    case address(UInt8)

    public var returnCode: PylonReturnCode {
        switch self {
        case .format: .format
        case .checksum: .checksum
        case .lengthChecksum: .lengthChecksum
        case .version: .version
        case .unknownCommand: .unknownCommand
        case .invalidData: .invalidData
        case .address: .address
        }
    }

    public var description: String {
        switch self {
        case .format(let why): "format error: \(why)"
        case .checksum(let e, let g): "checksum error: computed \(String(e, radix: 16, uppercase: true)), frame says \(String(g, radix: 16, uppercase: true))"
        case .lengthChecksum: "length checksum error"
        case .version(let v): "protocol version \(String(v, radix: 16)) not spoken"
        case .unknownCommand(let c): "unknown command 0x\(String(c, radix: 16, uppercase: true))"
        case .invalidData(let why): "invalid data: \(why)"
        case .address(let a): "no module at address \(a)"
        }
    }
}

/// CID2 of an answer.
public enum PylonReturnCode: UInt8, Sendable, CaseIterable {
    case normal = 0x00
    case version = 0x01
    case checksum = 0x02
    case lengthChecksum = 0x03
    case unknownCommand = 0x04
    case format = 0x05
    case invalidData = 0x06
    case address = 0x90
    case internalError = 0x91
}

/// CID2 of a request.
public enum PylonCommand: UInt8, Sendable, CaseIterable {
    case analogValues = 0x42
    case alarmInfo = 0x44
    case systemParameters = 0x47
    case protocolVersion = 0x4F
    case manufacturerInfo = 0x51
    case management = 0x92
    case serialNumber = 0x93
    case firmware = 0x96
    /// V3.5 system commands (SRNE): the whole system's analog values and its charge and
    /// discharge management.
    case systemAnalog = 0x61
    case systemAlarms = 0x62
    case systemManagement = 0x63
}

/// Hex ASCII helpers.
public enum Hex {
    static let digits = Array("0123456789ABCDEF".utf8)

    /// Appends `b` as two uppercase hex characters.
    public static func append(_ b: UInt8, to out: inout [UInt8]) {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0xF)])
    }

    /// Bytes from an even number of hex characters (either case); nil otherwise.
    public static func bytes(_ chars: some Collection<UInt8>) -> [UInt8]? {
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var high: UInt8?
        for c in chars {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x41...0x46: v = c - 0x37
            case 0x61...0x66: v = c - 0x57
            default: return nil
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return out
    }
}

/// Splits a byte stream into frames: from `~` to CR; bytes before a `~` are skipped (and
/// counted), a frame longer than 4096 characters is dropped.
public struct PylonFrameSplitter: Sendable {
    private var pending: [UInt8] = []
    private var inFrame = false
    /// Bytes that were not part of any frame.
    public private(set) var skipped = 0

    public init() {}

    /// Feeds bytes; returns the complete frames (`~` to CR) they finish.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for b in bytes {
            if b == 0x7E {
                if inFrame { skipped += pending.count }
                pending = [b]
                inFrame = true
            } else if inFrame {
                pending.append(b)
                if b == 0x0D {
                    out.append(pending)
                    pending.removeAll(keepingCapacity: true)
                    inFrame = false
                } else if pending.count > 4096 {
                    skipped += pending.count
                    pending.removeAll()
                    inFrame = false
                }
            } else {
                skipped += 1
            }
        }
        return out
    }
}
