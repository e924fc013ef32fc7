import BMSDriverKit
import CBMSDriver
import Foundation
import Logging
import Testing

@testable import BMSGate

/// `bms_link.read_at_least` (ABI 1.3) on a real pseudo-terminal at 115200 baud: it waits for
/// `min` bytes across chunks, returns what came when the time is up, and a driver's
/// `Link.receive` asks the host for the rest of a frame whose header is in.
@Suite struct ReadAtLeastTests {
    /// A serial port on a fresh pty, the host link over it, and the device side.
    func line(baud: Int = 115_200) throws -> (pty: PseudoTerminal, port: SerialPort, host: HostLink) {
        let pty = try PseudoTerminal()
        let port = SerialPort(settings: SerialSettings(device: pty.slavePath, baud: baud), defaultBaud: baud)
        try port.open()
        let host = HostLink(transport: port, transportKind: BMS_TRANSPORT_SERIAL.rawValue, address: "1", timeoutMs: 1000,
                            logger: Logger(label: "test"))
        return (pty, port, host)
    }

    /// Writes `bytes` to the device side in `chunk`-byte pieces, paced like the wire; wait
    /// on the semaphore before the pty goes (its descriptor number is soon another's).
    func send(_ bytes: [UInt8], to pty: PseudoTerminal, chunk: Int, afterMs: Int = 5) -> DispatchSemaphore {
        let master = pty.master
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            defer { done.signal() }
            MonotonicClock.sleep(ms: afterMs)
            var i = 0
            while i < bytes.count {
                let piece = Array(bytes[i..<min(i + chunk, bytes.count)])
                _ = piece.withUnsafeBytes { Glibc.write(master, $0.baseAddress, $0.count) }
                i += piece.count
                MonotonicClock.sleep(nanoseconds: UInt64(piece.count) * 86_806)  // 10 bits at 115200
            }
        }
        return done
    }

    @Test func waitsForTheMinimumAcrossChunks() throws {
        let (pty, port, host) = try line()
        defer { port.close() }
        let answer = (0..<300).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let sent = send(answer, to: pty, chunk: 16)
        defer { sent.wait() }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBufferPointer {
            host.link.pointee.read_at_least(host.link.pointee.ctx, $0.baseAddress, 300, 512, 2000)
        }
        #expect(n == 300)
        #expect(Array(buffer.prefix(Int(max(n, 0)))) == answer)
        #expect(port.byteTimeNanos == 86_805)
    }

    @Test func whatCameWhenTheTimeIsUpAndNothingWhenNothingCame() throws {
        let (pty, port, host) = try line()
        defer { port.close() }
        let sent = send([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], to: pty, chunk: 4)
        defer { sent.wait() }
        var buffer = [UInt8](repeating: 0, count: 64)
        let start = MonotonicClock.nowMs()
        let n = buffer.withUnsafeMutableBufferPointer {
            host.link.pointee.read_at_least(host.link.pointee.ctx, $0.baseAddress, 20, 64, 300)
        }
        #expect(n == 10, "got \(n)")
        #expect(Array(buffer.prefix(10)) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        #expect(MonotonicClock.nowMs() - start >= 290)
        let none = buffer.withUnsafeMutableBufferPointer {
            host.link.pointee.read_at_least(host.link.pointee.ctx, $0.baseAddress, 5, 64, 100)
        }
        #expect(none == 0)
    }

    /// The poll's time budget bounds the sleep too: a driver asking for more than will come
    /// gets what came when the budget is spent, not after its own (longer) timeout.
    @Test func thePollsBudgetEndsTheWait() throws {
        let (pty, port, host) = try line(baud: 9600)
        defer { port.close() }
        let sent = send(Array(repeating: 0x55, count: 16), to: pty, chunk: 16)
        defer { sent.wait() }
        MonotonicClock.sleep(ms: 20)  // the 16 bytes are in
        host.budgetDeadline = MonotonicClock.nowMs() + 100
        var buffer = [UInt8](repeating: 0, count: 4096)
        let start = MonotonicClock.nowMs()
        let n = buffer.withUnsafeMutableBufferPointer {
            host.link.pointee.read_at_least(host.link.pointee.ctx, $0.baseAddress, 4000, 4096, 5000)
        }
        #expect(n == 16)
        // The budget is 100 ms; the missing bytes' wire time at 9600 baud ~4.1 s, the timeout 5 s.
        #expect(MonotonicClock.nowMs() - start < 2000)
    }

    @Test func aClosedPortIsAnIOError() throws {
        let (pty, port, host) = try line()
        port.close()
        defer { withExtendedLifetime(pty) {} }
        var buffer = [UInt8](repeating: 0, count: 8)
        let n = buffer.withUnsafeMutableBufferPointer {
            host.link.pointee.read_at_least(host.link.pointee.ctx, $0.baseAddress, 4, 8, 100)
        }
        #expect(n == BMS_ERR_IO.rawValue)
        #expect(host.transportFailure?.contains("not open") == true)
    }

    /// A driver's receive loop through the host: a long frame paced at 115200 baud with junk
    /// and a second frame behind it; the first frame comes out whole, the rest stays.
    @Test func linkReceiveAsksForTheRestOfTheFrame() throws {
        let (pty, port, host) = try line()
        defer { port.close() }
        let frame = Array(0..<200).map { UInt8($0 % 200) }
        let encoded = [0x7E, 0x01, 0x42, UInt8(frame.count)] + frame
        var bytes: [UInt8] = encoded
        let sum = BasenLikeChecksum.of(bytes)
        bytes += [sum, 0x0D]
        let sent = send([0x00, 0x13] + bytes + [0x7E, 0x01], to: pty, chunk: 16)
        defer { sent.wait() }
        var decoder = LengthPrefixedDecoder()
        var buffer: [UInt8] = []
        let link = Link(UnsafePointer(host.link))
        let got = try link.receive(decoder: &decoder, buffer: &buffer)
        #expect(got == frame)
        #expect(decoder.wantedAsked.contains { $0 > 100 })  // the header's length was asked for at once
    }
}

/// The sum of the bytes, mod 256 (for the test frame only).
enum BasenLikeChecksum {
    static func of(_ bytes: [UInt8]) -> UInt8 { bytes.reduce(0) { $0 &+ $1 } }
}

/// `0x7E addr cmd len data[len] sum 0x0D`: a frame with its length in the header.
struct LengthPrefixedDecoder: FrameDecoder {
    /// What `bytesWanted` answered (class box: it is a non-mutating requirement).
    final class Log { var values: [Int] = [] }
    let log = Log()
    var wantedAsked: [Int] { log.values }

    mutating func decode(_ buffer: inout [UInt8]) throws(DriverError) -> [UInt8]? {
        guard let start = buffer.firstIndex(of: 0x7E) else { buffer.removeAll(); return nil }
        buffer.removeFirst(start)
        guard buffer.count >= 4, buffer.count >= 4 + Int(buffer[3]) + 2 else { return nil }
        let total = 4 + Int(buffer[3]) + 2
        guard buffer[total - 2] == BasenLikeChecksum.of(Array(buffer[..<(total - 2)])), buffer[total - 1] == 0x0D else {
            throw .checksum("bad frame")
        }
        let data = Array(buffer[4..<(total - 2)])
        buffer.removeFirst(total)
        return data
    }

    func bytesWanted(after buffer: [UInt8]) -> Int {
        let wanted = buffer.first == 0x7E && buffer.count >= 4 ? 4 + Int(buffer[3]) + 2 - buffer.count : 1
        log.values.append(wanted)
        return max(1, wanted)
    }
}
