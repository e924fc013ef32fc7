import BMSDriverKit

/// One JBD (Jiabaida, Xiaoxiang, Overkill Solar) frame. A request is
/// `DD A5|5A register length data... checksum(2) 77` (A5 reads, 5A writes); an answer is
/// `DD register status length data... checksum(2) 77` (status 00 = done, 80 = refused).
/// The checksum is 0x10000 minus the sum of the bytes from the third to the end of the
/// data, big-endian.
public struct JBDFrame: Sendable, Equatable {
    /// Start byte.
    public static let start: UInt8 = 0xDD
    /// End byte.
    public static let end: UInt8 = 0x77
    /// Request kind: read.
    public static let read: UInt8 = 0xA5
    /// Request kind: write.
    public static let write: UInt8 = 0x5A

    /// Registers the driver uses.
    public enum Register: UInt8, Sendable {
        /// Basic information: voltage, current, capacities, cycles, date, balancing,
        /// protection, version, SoC, MOSFET state, cell and probe counts, temperatures.
        case basicInfo = 0x03
        /// Cell voltages (mV, two bytes each).
        case cellVoltages = 0x04
        /// The hardware name (ASCII).
        case hardwareName = 0x05
        /// MOSFET control (write): data `00 xx`, bit 0 of xx switches charging off, bit 1
        /// discharging.
        case mosControl = 0xE1
    }

    /// The register (answers) of the frame.
    public var register: UInt8
    /// The answer's status byte (0 = done, 0x80 = refused).
    public var status: UInt8
    /// The payload.
    public var data: [UInt8]

    /// An answer frame value.
    public init(register: UInt8, status: UInt8 = 0, data: [UInt8]) {
        self.register = register
        self.status = status
        self.data = data
    }

    /// The checksum over `bytes` (from the third byte to the end of the data).
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var sum = 0
        for b in bytes { sum += Int(b) }
        return UInt16(truncatingIfNeeded: 0x10000 - sum)
    }

    /// A request: `kind` is `read` or `write`.
    public static func request(_ register: UInt8, kind: UInt8 = read, data: [UInt8] = []) -> [UInt8] {
        let body: [UInt8] = [register, UInt8(data.count)] + data
        let c = checksum(body)
        return [start, kind] + body + [UInt8(c >> 8), UInt8(c & 0xFF), end]
    }

    /// The encoded answer.
    public var encoded: [UInt8] {
        let body: [UInt8] = [status, UInt8(data.count)] + data
        let c = Self.checksum(body)
        return [Self.start, register] + body + [UInt8(c >> 8), UInt8(c & 0xFF), Self.end]
    }

    /// Parses exactly one complete answer (as `bmsgate decode` gets it), with the reason
    /// when it is not one.
    public static func parse(_ bytes: [UInt8]) throws(DriverError) -> JBDFrame {
        guard bytes.first == start else { throw .frame("frame does not start with 0xDD") }
        var buffer = bytes
        var decoder = JBDFrameDecoder(strict: true)
        guard let frame = try decoder.decode(&buffer) else {
            let need = bytes.count >= 4 ? 4 + Int(bytes[3]) + 3 : 7
            throw .frame("truncated frame: \(bytes.count) bytes, its length byte says \(need)")
        }
        guard buffer.isEmpty else { throw .frame("\(buffer.count) extra bytes after the frame") }
        return frame
    }
}

/// Cuts JBD answers out of a byte stream (a BLE answer arrives in 20-byte notifications):
/// junk before 0xDD is skipped; our own request echoed by an RS485 adapter (second byte
/// A5/5A) is skipped; a frame whose end byte or checksum is wrong is an error.
public struct JBDFrameDecoder: FrameDecoder {
    /// When true, junk and echoes are errors instead of being skipped.
    public var strict: Bool

    /// A decoder.
    public init(strict: Bool = false) { self.strict = strict }

    /// The rest of the frame whose header is in (4 header bytes, length, checksum, end).
    public func bytesWanted(after buffer: [UInt8]) -> Int {
        guard buffer.first == JBDFrame.start else { return 1 }
        return buffer.count < 4 ? 4 - buffer.count : Swift.max(1, 4 + Int(buffer[3]) + 3 - buffer.count)
    }

    public mutating func decode(_ buffer: inout [UInt8]) throws(DriverError) -> JBDFrame? {
        while true {
            guard let first = buffer.firstIndex(of: JBDFrame.start) else {
                if strict, !buffer.isEmpty { throw .frame("frame does not start with 0xDD") }
                buffer.removeAll()
                return nil
            }
            if first > 0 {
                if strict { throw .frame("frame does not start with 0xDD") }
                buffer.removeFirst(first)
            }
            guard buffer.count >= 4 else { return nil }
            let total = 4 + Int(buffer[3]) + 3
            guard buffer.count >= total else { return nil }
            guard buffer[total - 1] == JBDFrame.end else {
                if strict { throw .frame("end byte is 0x\(Hex.format([buffer[total - 1]])), expected 0x77 (length \(buffer[3]))") }
                buffer.removeFirst()  // a 0xDD inside junk: resynchronise on the next one
                continue
            }
            let expected = JBDFrame.checksum(buffer[2..<(total - 3)])
            let got = UInt16(buffer[total - 3]) << 8 | UInt16(buffer[total - 2])
            if buffer[1] == JBDFrame.read || buffer[1] == JBDFrame.write {
                if strict { throw .frame("a request (0x\(Hex.format([buffer[1]]))), not an answer") }
                buffer.removeFirst(total)  // our own request, echoed
                continue
            }
            guard got == expected else {
                buffer.removeFirst(total)
                throw .checksum("checksum 0x\(Hex.format([UInt8(got >> 8), UInt8(got & 0xFF)])), expected 0x\(Hex.format([UInt8(expected >> 8), UInt8(expected & 0xFF)]))")
            }
            let frame = JBDFrame(register: buffer[1], status: buffer[2], data: Array(buffer[4..<(total - 3)]))
            buffer.removeFirst(total)
            return frame
        }
    }
}
