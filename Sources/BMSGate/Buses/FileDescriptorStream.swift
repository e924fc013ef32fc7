import Foundation

/// Blocking I/O on a file descriptor with poll(2) timeouts; the shared core of the
/// serial, TCP and pty transports.
struct FileDescriptorStream {
    let fd: Int32
    /// A terminal (serial port, pty slave) configured raw with VMIN = VTIME = 0: there a
    /// read of 0 bytes means "nothing there" (another process flushed or took the input
    /// between poll and read), not the end of the stream; only a hang-up ends it. For a
    /// socket, 0 is the end.
    var terminal = false

    /// Writes everything; waits for room when the descriptor is non-blocking. With
    /// `timeoutMs`, gives up when the peer has not taken everything by then and throws a
    /// `stalled` error (what was written stays queued: the caller decides whether to flush
    /// it); without, waits as long as it takes.
    func writeAll(_ bytes: UnsafeRawBufferPointer, what: String, timeoutMs: Int? = nil) throws(TransportError) {
        var offset = 0
        let deadline = timeoutMs.map { MonotonicClock.nowMs() + UInt64(max(0, $0)) }
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 { offset += n; continue }
            if n < 0 && (errno == EAGAIN || errno == EINTR) {
                var wait: Int32 = 1000
                if let deadline {
                    let now = MonotonicClock.nowMs()
                    guard now < deadline else {
                        throw TransportError("\(what): the other side takes nothing (no room to write for \(timeoutMs!) ms)", stalled: true)
                    }
                    wait = Int32(min(1000, deadline - now))
                }
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&p, 1, wait)
                continue
            }
            throw TransportError("\(what): write failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Reads what is available within `timeoutMs`; 0 = timeout. Throws when the other
    /// side is gone (EOF, hang-up, error).
    func read(into buffer: UnsafeMutableRawBufferPointer, timeoutMs: Int, what: String) throws(TransportError) -> Int {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var remaining = max(0, timeoutMs)
        let deadline = MonotonicClock.nowMs() + UInt64(remaining)
        while true {
            let r = poll(&p, 1, Int32(min(remaining, Int(Int32.max))))
            if r < 0 {
                if errno == EINTR {
                    let now = MonotonicClock.nowMs()
                    remaining = now >= deadline ? 0 : Int(deadline - now)
                    continue
                }
                throw TransportError("\(what): poll failed: \(String(cString: strerror(errno)))")
            }
            if r == 0 { return 0 }
            break
        }
        let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
        if n > 0 { return n }
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return 0 }
        if n == 0 && !Self.endOfStream(terminal: terminal, revents: p.revents) { return 0 }
        if n == 0 { throw TransportError("\(what): closed by the other side") }
        throw TransportError("\(what): read failed: \(String(cString: strerror(errno)))")
    }

    /// Whether a read of 0 bytes after poll reported `revents` is the end of the stream.
    static func endOfStream(terminal: Bool, revents: Int16) -> Bool {
        !terminal || revents & Int16(POLLHUP | POLLERR) != 0
    }

    /// Reads and drops whatever is pending, without waiting.
    func drain() {
        var scratch = [UInt8](repeating: 0, count: 512)
        while true {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 0) > 0, p.revents & Int16(POLLIN) != 0 else { return }
            let n = scratch.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
        }
    }
}
