import BMSDriverKit

/// One frame of JK's RS485/UART "NW" protocol:
///
///     STX "NW" (4E 57) | LENGTH (2) | terminal id (4) | command (1) | source (1) |
///     transport type (1) | information (N) | record number (4) | end 0x68 | checksum (4)
///
/// LENGTH counts every byte after STX (itself and the checksum included). The checksum's
/// high two bytes are 0 (CRC not enabled); the low two are the 16-bit sum of every byte
/// from STX through the end mark. Multi-byte values are big-endian.
public struct JKNWFrame: Sendable, Equatable {
    /// Command words.
    public enum Command: UInt8, Sendable {
        case activate = 0x01, write = 0x02, read = 0x03, pair = 0x05, readAll = 0x06
    }
    /// Frame sources.
    public static let sourceBMS: UInt8 = 0, sourceBluetooth: UInt8 = 1, sourceGPS: UInt8 = 2, sourcePC: UInt8 = 3
    /// Transport types.
    public static let typeRequest: UInt8 = 0, typeResponse: UInt8 = 1, typeUpload: UInt8 = 2
    public static let stx: [UInt8] = [0x4E, 0x57]
    public static let endMark: UInt8 = 0x68
    /// Bytes around the information field: STX 2, LENGTH 2, terminal 4, command, source,
    /// type, record 4, end, checksum 4.
    public static let overhead = 20

    public var terminal: UInt32
    public var command: UInt8
    public var source: UInt8
    public var type: UInt8
    /// Identifier(s) and data.
    public var information: [UInt8]
    public var record: UInt32

    /// A frame value.
    public init(terminal: UInt32, command: UInt8, source: UInt8, type: UInt8, information: [UInt8], record: UInt32 = 0) {
        self.terminal = terminal
        self.command = command
        self.source = source
        self.type = type
        self.information = information
        self.record = record
    }

    /// A request from the host (source PC, type request).
    public static func request(terminal: UInt32, _ command: Command, information: [UInt8]) -> JKNWFrame {
        JKNWFrame(terminal: terminal, command: command.rawValue, source: sourcePC, type: typeRequest, information: information)
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func be32(_ b: ArraySlice<UInt8>) -> UInt32 { b.reduce(0) { $0 << 8 | UInt32($1) } }

    /// The frame on the wire.
    public var encoded: [UInt8] {
        let length = information.count + Self.overhead - 2
        var out = Self.stx + [UInt8(length >> 8), UInt8(length & 0xFF)] + Self.be32(terminal) + [command, source, type]
        out += information + Self.be32(record) + [Self.endMark]
        let sum = out.reduce(0) { $0 &+ UInt32($1) } & 0xFFFF
        return out + Self.be32(sum)
    }

    /// Parses exactly one complete frame (as `bmsgate decode` gets it).
    public static func parse(_ bytes: [UInt8]) throws(DriverError) -> JKNWFrame {
        guard bytes.starts(with: stx) else { throw .frame("JK NW frame does not start with 4E 57") }
        guard bytes.count >= overhead else { throw .frame("truncated JK NW frame: \(bytes.count) bytes, at least \(overhead)") }
        let need = (Int(bytes[2]) << 8 | Int(bytes[3])) + 2
        guard bytes.count >= need else { throw .frame("truncated JK NW frame: \(bytes.count) bytes, LENGTH says \(need)") }
        var buffer = bytes
        var decoder = JKNWFrameDecoder()
        guard let frame = try decoder.decode(&buffer) else { throw .frame("no JK NW frame") }
        guard buffer.isEmpty else { throw .frame("\(buffer.count) extra bytes after the JK NW frame") }
        return frame
    }

    /// Checks and splits a complete frame of `bytes.count` bytes.
    static func split(_ b: [UInt8]) throws(DriverError) -> JKNWFrame {
        let n = b.count
        guard b[n - 5] == endMark else {
            throw .frame("JK NW end mark is 0x\(Hex.format([b[n - 5]])), expected 0x68")
        }
        let sum = b[..<(n - 4)].reduce(0) { $0 &+ UInt32($1) } & 0xFFFF
        let given = be32(b[(n - 4)...])
        guard given & 0xFFFF == sum else {
            throw .checksum("JK NW checksum 0x\(String(given & 0xFFFF, radix: 16)), expected 0x\(String(sum, radix: 16))")
        }
        return JKNWFrame(terminal: be32(b[4..<8]), command: b[8], source: b[9], type: b[10], information: Array(b[11..<(n - 9)]),
                         record: be32(b[(n - 9)..<(n - 5)]))
    }
}

/// Cuts NW frames out of a byte stream: skips junk before "NW", waits for LENGTH bytes.
public struct JKNWFrameDecoder: FrameDecoder {
    /// Longest frame accepted (a full read of 32 cells is about 300 bytes).
    public static let maxLength = 2048

    /// A decoder.
    public init() {}

    /// The rest of the frame whose "NW" and LENGTH are in.
    public func bytesWanted(after buffer: [UInt8]) -> Int {
        guard buffer.first == 0x4E else { return 1 }
        guard buffer.count >= 4 else { return 4 - buffer.count }
        let total = (Int(buffer[2]) << 8 | Int(buffer[3])) + 2
        guard total >= JKNWFrame.overhead, total <= Self.maxLength else { return 1 }
        return Swift.max(1, total - buffer.count)
    }

    public mutating func decode(_ buffer: inout [UInt8]) throws(DriverError) -> JKNWFrame? {
        while true {
            guard let start = buffer.indices.first(where: { i in buffer[i] == 0x4E && (i + 1 == buffer.count || buffer[i + 1] == 0x57) }) else {
                buffer.removeAll()
                return nil
            }
            if start > 0 { buffer.removeFirst(start) }
            guard buffer.count >= 4 else { return nil }
            let total = (Int(buffer[2]) << 8 | Int(buffer[3])) + 2
            guard total >= JKNWFrame.overhead, total <= Self.maxLength else {
                buffer.removeFirst(1)  // not a real start: look further
                continue
            }
            guard buffer.count >= total else { return nil }
            let bytes = Array(buffer[..<total])
            buffer.removeFirst(total)
            return try JKNWFrame.split(bytes)
        }
    }
}
