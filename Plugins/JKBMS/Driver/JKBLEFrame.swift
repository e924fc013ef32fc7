import BMSDriverKit

/// JK's BLE framing (service 0xFFE0, characteristic 0xFFE1):
///
/// - commands, written by the host: 20 bytes `AA 55 90 EB | command | length | value (4, LE) |
///   zero padding | sum8 of bytes 0...18`; 0x97 asks for the device info, 0x96 for the
///   settings and then the cell data stream;
/// - answers, notified by the BMS in fragments of the link's MTU: 300 bytes (some models
///   send 320) `55 AA EB 90 | type (0x01 settings, 0x02 cell info, 0x03 device info) |
///   counter | data ... | sum8 of bytes 0...298 at byte 299`.
public enum JKBLEFrame {
    public static let commandHeader: [UInt8] = [0xAA, 0x55, 0x90, 0xEB]
    public static let answerHeader: [UInt8] = [0x55, 0xAA, 0xEB, 0x90]
    /// Bytes of an answer the checksum covers (+1 for the checksum itself).
    public static let answerLength = 300
    public static let commandDeviceInfo: UInt8 = 0x97
    public static let commandCellInfo: UInt8 = 0x96

    /// Answer types.
    public enum Kind: UInt8, Sendable {
        case settings = 0x01, cellInfo = 0x02, deviceInfo = 0x03
    }

    /// A 20-byte command.
    public static func command(_ code: UInt8, value: UInt32 = 0, length: UInt8 = 0) -> [UInt8] {
        var out = commandHeader + [code, length, UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
        out += [UInt8](repeating: 0, count: 19 - out.count)
        return out + [sum8(out)]
    }

    /// Sum of `bytes` modulo 256.
    public static func sum8(_ bytes: some Sequence<UInt8>) -> UInt8 { bytes.reduce(0) { $0 &+ $1 } }

    /// Checks one complete answer (300 bytes or more; the checksum is at byte 299).
    public static func check(_ frame: [UInt8]) throws(DriverError) -> Kind {
        guard frame.starts(with: answerHeader) else { throw .frame("JK BLE answer does not start with 55 AA EB 90") }
        guard frame.count >= answerLength else { throw .frame("truncated JK BLE answer: \(frame.count) bytes, 300 needed") }
        let sum = sum8(frame[..<(answerLength - 1)])
        guard sum == frame[answerLength - 1] else {
            throw .checksum("JK BLE checksum 0x\(Hex.format([frame[answerLength - 1]])), expected 0x\(Hex.format([sum]))")
        }
        guard let kind = Kind(rawValue: frame[4]) else { throw .frame("unknown JK BLE answer type 0x\(Hex.format([frame[4]]))") }
        return kind
    }
}

/// Reassembles notification fragments (any MTU) into 300-byte answers: finds the header
/// anywhere in the stream (junk before it and the tail of 320-byte answers are skipped),
/// waits for 300 bytes, checks the sum; a bad sum drops that header and searches on.
public struct JKBLEAssembler: FrameDecoder {
    /// Answers that failed their checksum so far.
    public private(set) var checksumErrors = 0

    /// An assembler.
    public init() {}

    public mutating func decode(_ buffer: inout [UInt8]) throws(DriverError) -> [UInt8]? {
        while true {
            guard let start = Self.find(JKBLEFrame.answerHeader, in: buffer) else {
                // Keep a possible partial header at the end.
                let keep = min(buffer.count, JKBLEFrame.answerHeader.count - 1)
                buffer.removeFirst(buffer.count - keep)
                return nil
            }
            if start > 0 { buffer.removeFirst(start) }
            guard buffer.count >= JKBLEFrame.answerLength else { return nil }
            let frame = Array(buffer[..<JKBLEFrame.answerLength])
            do {
                _ = try JKBLEFrame.check(frame)
            } catch {
                // A bad sum or an unknown type: this header was not the start of an answer.
                checksumErrors += 1
                buffer.removeFirst(1)
                continue
            }
            buffer.removeFirst(JKBLEFrame.answerLength)
            return frame
        }
    }

    static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }
}
