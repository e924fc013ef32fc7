import Foundation

/// An ATT bearer: a connected SOCK_SEQPACKET socket (an L2CAP LE channel on CID 4, or one
/// end of a socketpair in tests), one PDU per datagram.
public final class ATTChannel {
    public private(set) var fd: Int32
    /// Largest PDU we accept from the peer.
    static let maxPDU = 1024

    /// Takes ownership of `fd`.
    public init(fd: Int32) { self.fd = fd }

    deinit { close() }

    /// Closes the socket.
    public func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    /// Sends one PDU.
    public func send(_ pdu: [UInt8]) throws(TransportError) {
        guard fd >= 0 else { throw TransportError("BLE connection is closed") }
        let n = pdu.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard n == pdu.count else { throw TransportError("BLE send: \(String(cString: strerror(errno)))") }
    }

    /// The next PDU, or nil when `timeoutMs` passed; throws when the link dropped.
    public func receive(timeoutMs: Int) throws(TransportError) -> [UInt8]? {
        guard fd >= 0 else { throw TransportError("BLE connection is closed") }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let r = Glibc.poll(&p, 1, Int32(max(0, timeoutMs)))
        if r == 0 { return nil }
        guard r > 0 else {
            if errno == EINTR { return nil }
            throw TransportError("BLE poll: \(String(cString: strerror(errno)))")
        }
        var buffer = [UInt8](repeating: 0, count: Self.maxPDU)
        let n = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else {
            throw TransportError(n == 0 ? "BLE link dropped (peer disconnected)" : "BLE receive: \(String(cString: strerror(errno)))")
        }
        return Array(buffer[..<n])
    }
}
