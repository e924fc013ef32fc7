import Foundation

/// The listening sockets of the gateway's own TCP servers (Modbus-TCP, pylon-rs485 over
/// TCP): one way to open them, to read back the port the kernel gave, and to name a peer.
enum TCPListener {
    /// A listening TCP socket (close-on-exec, SO_REUSEADDR, backlog 64) on `host:port`
    /// (`*` or empty: every address; port 0: the kernel picks, read it back with `boundPort`).
    static func listen(host: String, port: Int) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let node = host.isEmpty || host == "*" ? nil : host
        let rc = getaddrinfo(node, String(port), &hints, &result)
        guard rc == 0, let first = result else {
            throw TransportError("cannot resolve listen address '\(host)': \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(result) }
        var lastError = ""
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            defer { ai = a.pointee.ai_next }
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
            guard fd >= 0 else { lastError = String(cString: strerror(errno)); continue }
            var yes: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
            if bind(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0, Glibc.listen(fd, 64) == 0 { return fd }
            let err = errno
            lastError = String(cString: strerror(err))
            if err == EACCES && port < 1024 { lastError += " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" }
            close(fd)
        }
        throw TransportError("cannot listen on \(host):\(port): \(lastError)")
    }

    /// The port of `addr` (IPv4 or IPv6).
    static func port(of addr: sockaddr_storage) -> UInt16 {
        var a = addr
        return withUnsafePointer(to: &a) { p in
            if Int32(addr.ss_family) == AF_INET6 {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }

    /// `addr` as numeric host:port text.
    static func describe(_ addr: sockaddr_storage) -> String {
        var a = addr
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let rc = withUnsafePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, socklen_t(MemoryLayout<sockaddr_storage>.size), &host, socklen_t(host.count), &service,
                            socklen_t(service.count), NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        func text(_ buffer: [CChar]) -> String {
            String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return rc == 0 ? "\(text(host)):\(text(service))" : "?"
    }

    /// The port `fd` is bound to (the kernel's pick after listening on port 0).
    static func boundPort(_ fd: Int32) -> Int {
        var addr = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(port(of: addr))
    }
}
