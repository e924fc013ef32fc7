import BMSDriverKit

/// One Daly frame: always 13 bytes, `A5 address command 08 data(8) checksum`, the
/// checksum being the low byte of the sum of the first twelve. Requests carry the host
/// address (0x40 + board - 1 on UART/RS485, 0x80 over BLE); answers carry the board number
/// (1 for a lone board).
public struct DalyFrame: Sendable, Equatable {
    /// Start byte.
    public static let start: UInt8 = 0xA5
    /// The fixed data length.
    public static let dataLength: UInt8 = 0x08
    /// Every frame's size.
    public static let size = 13

    /// Commands the driver uses.
    public enum Command: UInt8, Sendable, CaseIterable {
        /// Pack voltage, current (30000 offset, 0.1 A), SoC (0.1 %).
        case soc = 0x90
        /// Highest and lowest cell voltage with their cell numbers.
        case cellRange = 0x91
        /// Highest and lowest temperature with their probe numbers.
        case temperatureRange = 0x92
        /// Charge/discharge state, MOSFETs, BMS life, remaining capacity.
        case mosfets = 0x93
        /// Cell and probe counts, charger and load, DI/DO, cycles.
        case status = 0x94
        /// Cell voltages, three per frame.
        case cellVoltages = 0x95
        /// Temperatures, seven per frame.
        case temperatures = 0x96
        /// Balancing bits.
        case balancing = 0x97
        /// Failure bits and fault code.
        case failures = 0x98
        /// Discharge MOSFET on (1) / off (0) (write).
        case dischargeMOS = 0xD9
        /// Charge MOSFET on (1) / off (0) (write).
        case chargeMOS = 0xDA
    }

    /// The address byte (host address in requests, board number in answers).
    public var address: UInt8
    /// The command.
    public var command: UInt8
    /// The eight data bytes.
    public var data: [UInt8]

    /// A frame value; `data` is padded or cut to eight bytes.
    public init(address: UInt8, command: UInt8, data: [UInt8] = []) {
        self.address = address
        self.command = command
        self.data = Array((data + Array(repeating: 0, count: 8)).prefix(8))
    }

    /// The low byte of the sum.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt8 {
        var s: UInt8 = 0
        for b in bytes { s &+= b }
        return s
    }

    /// The 13 bytes.
    public var encoded: [UInt8] {
        let head = [Self.start, address, command, Self.dataLength] + data
        return head + [Self.checksum(head)]
    }

    /// Parses one complete frame, with the reason when it is not one.
    public static func parse(_ bytes: [UInt8]) throws(DriverError) -> DalyFrame {
        guard bytes.first == start else { throw .frame("frame does not start with 0xA5") }
        guard bytes.count >= size else { throw .frame("truncated frame: \(bytes.count) bytes, a Daly frame has 13") }
        guard bytes.count == size else { throw .frame("\(bytes.count - size) extra bytes after the frame") }
        guard bytes[3] == dataLength else { throw .frame("length byte 0x\(Hex.format([bytes[3]])), a Daly frame has 0x08") }
        let expected = checksum(bytes[0..<12])
        guard bytes[12] == expected else {
            throw .checksum("checksum 0x\(Hex.format([bytes[12]])), expected 0x\(Hex.format([expected]))")
        }
        return DalyFrame(address: bytes[1], command: bytes[2], data: Array(bytes[4..<12]))
    }
}

/// Cuts Daly frames out of a byte stream: junk before 0xA5 is skipped (so is an 0xA5 not
/// followed by a length of 8); frames from a host address (0x40 and up: our own request
/// echoed by an RS485 adapter, or another master) are skipped; a bad checksum is an error.
public struct DalyFrameDecoder: FrameDecoder {
    /// A decoder.
    public init() {}

    /// The rest of a 13-byte frame.
    public func bytesWanted(after buffer: [UInt8]) -> Int {
        guard buffer.first == DalyFrame.start else { return 1 }
        return Swift.max(1, DalyFrame.size - buffer.count)
    }

    public mutating func decode(_ buffer: inout [UInt8]) throws(DriverError) -> DalyFrame? {
        while true {
            guard let first = buffer.firstIndex(of: DalyFrame.start) else {
                buffer.removeAll()
                return nil
            }
            if first > 0 { buffer.removeFirst(first) }
            guard buffer.count >= 4 else { return nil }
            guard buffer[3] == DalyFrame.dataLength else {
                buffer.removeFirst()
                continue
            }
            guard buffer.count >= DalyFrame.size else { return nil }
            let expected = DalyFrame.checksum(buffer[0..<12])
            guard buffer[12] == expected else {
                let got = buffer[12]
                buffer.removeFirst(DalyFrame.size)
                throw .checksum("checksum 0x\(Hex.format([got])), expected 0x\(Hex.format([expected]))")
            }
            let frame = DalyFrame(address: buffer[1], command: buffer[2], data: Array(buffer[4..<12]))
            buffer.removeFirst(DalyFrame.size)
            if frame.address >= 0x40 { continue }  // a request on the line
            return frame
        }
    }
}
