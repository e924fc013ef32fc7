import Foundation
import Testing

@testable import BMSGate

/// When a read of nothing is the end of the stream: on a socket always; on a raw terminal
/// (VMIN = VTIME = 0, where a read returns 0 when another process took or flushed the input
/// between poll and read) only with a hang-up.
@Suite struct FileDescriptorStreamTests {
    @Test func aSocketWhosePeerClosedIsTheEnd() throws {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[0]) }
        close(fds[1])
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(throws: TransportError.self) {
            _ = try buffer.withUnsafeMutableBytes { try FileDescriptorStream(fd: fds[0]).read(into: $0, timeoutMs: 500, what: "peer") }
        }
    }

    @Test func aTerminalWhoseOtherSideWentAwayIsTheEnd() throws {
        var pty: PseudoTerminal? = try PseudoTerminal()
        let port = SerialPort(settings: SerialSettings(device: pty!.slavePath, baud: 9600), defaultBaud: 9600)
        try port.open()
        defer { port.close() }
        pty = nil  // the device side closes
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(throws: TransportError.self) {
            _ = try buffer.withUnsafeMutableBytes { try port.read(into: $0, timeoutMs: 500) }
        }
    }

    @Test func aTerminalReadOfNothingWithoutAHangUpIsNotTheEnd() {
        #expect(!FileDescriptorStream.endOfStream(terminal: true, revents: Int16(POLLIN)))
        #expect(FileDescriptorStream.endOfStream(terminal: true, revents: Int16(POLLIN | POLLHUP)))
        #expect(FileDescriptorStream.endOfStream(terminal: true, revents: Int16(POLLERR)))
        #expect(FileDescriptorStream.endOfStream(terminal: false, revents: Int16(POLLIN)))
    }

    /// Input flushed before the read (as a second opener of the port does): nothing, and the
    /// port stays open.
    @Test func aTerminalWhoseInputWasFlushedReadsNothing() throws {
        let pty = try PseudoTerminal()
        let port = SerialPort(settings: SerialSettings(device: pty.slavePath, baud: 9600), defaultBaud: 9600)
        try port.open()
        defer { port.close() }
        _ = [UInt8](repeating: 0x41, count: 4).withUnsafeBytes { write(pty.master, $0.baseAddress, $0.count) }
        Thread.sleep(forTimeInterval: 0.05)
        port.discardInput()
        var buffer = [UInt8](repeating: 0, count: 8)
        let n = try buffer.withUnsafeMutableBytes { try port.read(into: $0, timeoutMs: 100) }
        #expect(n == 0 && port.isOpen)
    }
}
