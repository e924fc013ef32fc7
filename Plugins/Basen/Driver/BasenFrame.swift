import BMSDriverKit

/// One Basen frame: `7E addr cmd len data... checksum 0D` (requests carry a sub-command
/// where responses carry the data length). All multi-byte values are big-endian.
public struct BasenFrame: Sendable, Equatable {
    /// Start of information.
    public static let soi: UInt8 = 0x7E
    /// End of information.
    public static let eoi: UInt8 = 0x0D

    /// Device address (DIP switch, 1...16).
    public var address: UInt8
    /// Command code (0x01 info, 0x33 version, 0x42 barcode, 0x43 parameters).
    public var command: UInt8
    /// Response payload (empty for requests and echoes).
    public var data: [UInt8]

    /// A frame value.
    public init(address: UInt8, command: UInt8, data: [UInt8]) {
        self.address = address
        self.command = command
        self.data = data
    }

    /// The Basen checksum: (XOR of all bytes) ^ (sum of all bytes), low 8 bits.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt8 {
        var x: UInt8 = 0
        var sum: UInt8 = 0
        for b in bytes {
            x ^= b
            sum &+= b
        }
        return x ^ sum
    }

    /// A 6-byte request `7E addr cmd sub cs 0D`.
    public static func request(address: UInt8, command: UInt8, sub: UInt8 = 0) -> [UInt8] {
        let head: [UInt8] = [soi, address, command, sub]
        return head + [checksum(head), eoi]
    }

    /// The encoded response frame with length, checksum and EOI.
    public var encoded: [UInt8] {
        let head: [UInt8] = [Self.soi, address, command, UInt8(data.count)] + data
        return head + [Self.checksum(head), Self.eoi]
    }

    /// Parses exactly one complete response frame (as `bmsgate decode` gets it).
    public static func parse(_ bytes: [UInt8]) throws(DriverError) -> BasenFrame {
        var buffer = bytes
        var decoder = BasenFrameDecoder(strict: true)
        guard let frame = try decoder.decode(&buffer) else {
            if bytes.first != soi { throw .frame("frame does not start with 0x7E") }
            let need = bytes.count >= 4 ? 4 + Int(bytes[3]) + 2 : 6
            throw .frame("truncated frame: \(bytes.count) bytes, header says \(need)")
        }
        guard buffer.isEmpty else { throw .frame("\(buffer.count) extra bytes after the frame") }
        return frame
    }
}

/// Cuts Basen response frames out of a byte stream: junk before 0x7E is skipped, a frame
/// whose checksum or EOI is wrong is an error. Length-0 frames (a bus echo of the request)
/// are skipped unless `strict`.
public struct BasenFrameDecoder: FrameDecoder {
    /// When true, junk and echoes are errors instead of being skipped.
    public var strict: Bool

    /// A decoder.
    public init(strict: Bool = false) { self.strict = strict }

    /// The rest of the frame whose header is in (4 header bytes, length, checksum, EOI).
    public func bytesWanted(after buffer: [UInt8]) -> Int {
        guard buffer.first == BasenFrame.soi else { return 1 }
        return buffer.count < 4 ? 4 - buffer.count : Swift.max(1, 4 + Int(buffer[3]) + 2 - buffer.count)
    }

    public mutating func decode(_ buffer: inout [UInt8]) throws(DriverError) -> BasenFrame? {
        while true {
            guard let start = buffer.firstIndex(of: BasenFrame.soi) else {
                if strict, !buffer.isEmpty { throw .frame("frame does not start with 0x7E") }
                buffer.removeAll()
                return nil
            }
            if start > 0 {
                if strict { throw .frame("frame does not start with 0x7E") }
                buffer.removeFirst(start)
            }
            guard buffer.count >= 4 else { return nil }
            let length = Int(buffer[3])
            let total = 4 + length + 2
            if length == 0 && buffer.count >= 6 && !strict && buffer[5] == BasenFrame.eoi {
                buffer.removeFirst(6)  // our own request echoed by the RS485 adapter
                continue
            }
            guard buffer.count >= total else { return nil }
            guard buffer[total - 1] == BasenFrame.eoi else {
                if strict {
                    throw .frame("end byte is 0x\(Hex.format([buffer[total - 1]])), expected 0x0d (length \(length))")
                }
                buffer.removeFirst()  // a 0x7E inside junk: resynchronise on the next one
                continue
            }
            let expected = BasenFrame.checksum(buffer[0..<(4 + length)])
            let got = buffer[4 + length]
            guard got == expected else {
                buffer.removeFirst(total)
                throw .checksum("checksum 0x\(Hex.format([got])), expected 0x\(Hex.format([expected]))")
            }
            let frame = BasenFrame(address: buffer[1], command: buffer[2], data: Array(buffer[4..<(4 + length)]))
            buffer.removeFirst(total)
            return frame
        }
    }
}
