import Foundation

/// A TCP connection to an RS485/serial bridge (ser2net, EW11, USR-TCP232...). Connects on
/// `open()` with a timeout; any failure closes it so the bus reconnects on the next poll.
public final class TCPConnection: ByteTransport {
    public let host: String
    public let port: Int
    public let connectTimeout: Duration
    private var fd: Int32 = -1

    /// A connection; nothing happens until `open()`.
    public init(host: String, port: Int, connectTimeout: Duration) {
        self.host = host
        self.port = port
        self.connectTimeout = connectTimeout
    }

    deinit { close() }

    public var endpoint: String { "tcp \(host):\(port)" }
    public var isOpen: Bool { fd >= 0 }

    public func open() throws(TransportError) {
        close()
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw TransportError("resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let ai = cursor {
            cursor = ai.pointee.ai_next
            let s = socket(ai.pointee.ai_family, ai.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), ai.pointee.ai_protocol)
            guard s >= 0 else { lastError = String(cString: strerror(errno)); continue }
            if connect(s, ai.pointee.ai_addr, ai.pointee.ai_addrlen) != 0 && errno != EINPROGRESS {
                lastError = String(cString: strerror(errno))
                Glibc.close(s)
                continue
            }
            var p = pollfd(fd: s, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&p, 1, Int32(connectTimeout.milliseconds))
            var soError: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(s, SOL_SOCKET, SO_ERROR, &soError, &len)
            if ready == 1 && soError == 0 {
                var one: Int32 = 1
                setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, socklen_t(MemoryLayout<Int32>.size))
                fd = s
                return
            }
            lastError = ready == 0 ? "timed out after \(connectTimeout.milliseconds) ms" : String(cString: strerror(soError))
            Glibc.close(s)
        }
        throw TransportError("connect \(host):\(port): \(lastError)")
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        guard fd >= 0 else { throw TransportError("\(endpoint) is not connected") }
        do { try FileDescriptorStream(fd: fd).writeAll(bytes, what: endpoint) } catch {
            close()
            throw error
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeoutMs: Int) throws(TransportError) -> Int {
        guard fd >= 0 else { throw TransportError("\(endpoint) is not connected") }
        do { return try FileDescriptorStream(fd: fd).read(into: buffer, timeoutMs: timeoutMs, what: endpoint) } catch {
            close()
            throw error
        }
    }

    public func discardInput() {
        if fd >= 0 { FileDescriptorStream(fd: fd).drain() }
    }
}
