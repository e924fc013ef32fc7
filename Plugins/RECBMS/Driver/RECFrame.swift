import BMSDriverKit

/// One REC BMS RS485 frame: `STX(0x55) DST SND LEN MSG[LEN] CRC(2, high byte first) ETX(0xAA)`.
/// The CRC is CRC-16/ARC (polynomial 0xA001 reflected, initial value 0) over DST...MSG.
/// The host is address 0; BMS units answer with DST 0 and SND = their address.
public struct RECFrame: Sendable, Equatable {
    public static let stx: UInt8 = 0x55
    public static let etx: UInt8 = 0xAA
    /// Bytes around the message: STX, DST, SND, LEN, CRC (2), ETX.
    public static let overhead = 7

    public var destination: UInt8
    public var source: UInt8
    public var message: [UInt8]

    /// A frame value.
    public init(destination: UInt8, source: UInt8, message: [UInt8]) {
        self.destination = destination
        self.source = source
        self.message = message
    }

    /// The message as text (instructions and settings are ASCII).
    public var text: String { String(decoding: message, as: UTF8.self) }

    /// CRC-16/ARC of `bytes`.
    public static func crc16(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for b in bytes {
            crc ^= UInt16(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xA001 : crc >> 1 }
        }
        return crc
    }

    /// The frame on the wire.
    public var encoded: [UInt8] {
        let body = [destination, source, UInt8(message.count)] + message
        let crc = Self.crc16(body)
        return [Self.stx] + body + [UInt8(crc >> 8), UInt8(crc & 0xFF), Self.etx]
    }

    /// A request from the host (address 0) to BMS `address`: `"LCD1?"`, `"BVOL 3.9"`.
    public static func request(address: UInt8, _ message: String) -> [UInt8] {
        RECFrame(destination: address, source: 0, message: Array(message.utf8)).encoded
    }

    /// Parses exactly one complete frame (as `bmsgate decode` gets it).
    public static func parse(_ bytes: [UInt8]) throws(DriverError) -> RECFrame {
        guard bytes.first == stx else { throw .frame("frame does not start with 0x55") }
        guard bytes.count >= overhead else { throw .frame("truncated frame: \(bytes.count) bytes, at least \(overhead) needed") }
        let need = Int(bytes[3]) + overhead
        guard bytes.count >= need else { throw .frame("truncated frame: \(bytes.count) bytes, LEN says \(need)") }
        var buffer = bytes
        var decoder = RECFrameDecoder(strict: true)
        guard let frame = try decoder.decode(&buffer) else { throw .frame("no frame") }
        guard buffer.isEmpty else { throw .frame("\(buffer.count) extra bytes after the frame") }
        return frame
    }
}

/// Cuts REC frames out of a byte stream; junk before STX is skipped. A frame with a wrong
/// ETX is junk too (resynchronise on the next STX); a bad CRC is an error.
public struct RECFrameDecoder: FrameDecoder {
    /// Strict: a wrong ETX is an error instead of junk (for single captured frames).
    var strict = false

    /// A decoder.
    public init(strict: Bool = false) { self.strict = strict }

    /// The rest of the frame whose header is in (STX, addresses, length, CRC, ETX).
    public func bytesWanted(after buffer: [UInt8]) -> Int {
        guard buffer.first == RECFrame.stx else { return 1 }
        return buffer.count < 4 ? 4 - buffer.count : Swift.max(1, Int(buffer[3]) + RECFrame.overhead - buffer.count)
    }

    public mutating func decode(_ buffer: inout [UInt8]) throws(DriverError) -> RECFrame? {
        while true {
            guard let start = buffer.firstIndex(of: RECFrame.stx) else {
                buffer.removeAll()
                return nil
            }
            if start > 0 { buffer.removeFirst(start) }
            guard buffer.count >= 4 else { return nil }
            let length = Int(buffer[3])
            let total = length + RECFrame.overhead
            guard buffer.count >= total else { return nil }
            guard buffer[total - 1] == RECFrame.etx else {
                if strict { throw .frame("frame does not end with 0xAA (found 0x\(Hex.format([buffer[total - 1]])))") }
                buffer.removeFirst()
                continue
            }
            let body = Array(buffer[1..<(4 + length)])
            let crc = UInt16(buffer[4 + length]) << 8 | UInt16(buffer[5 + length])
            buffer.removeFirst(total)
            let expected = RECFrame.crc16(body)
            guard crc == expected else {
                throw .checksum("CRC 0x\(Hex.format([UInt8(crc >> 8), UInt8(crc & 0xFF)], separator: "")), expected 0x\(Hex.format([UInt8(expected >> 8), UInt8(expected & 0xFF)], separator: ""))")
            }
            return RECFrame(destination: body[0], source: body[1], message: Array(body[3...]))
        }
    }
}
