import Foundation
import Logging
import PylonCodec

/// The TCP side of the pylon-rs485 sink: RS485-to-Ethernet bridges (or inverters speaking
/// the protocol over TCP) connect to `listen:` and are served at once, up to
/// `maxClients`, by one thread that polls every socket. No client can hold the others up:
///
/// - **Several at once.** Up to `maxClients` connections are answered side by side.
/// - **Displacement.** When all slots are taken, a newcomer displaces the client idle the
///   longest (no request for `displaceAfter`); when every client asked within that time,
///   the newcomer is refused. A bridge that reboots and reconnects finds its slot.
/// - **Bounded writes.** Sockets are non-blocking; an answer a client has not taken within
///   `writeTimeout` (it sends and never reads) closes that client, and nobody else waits.
/// - **Half-open connections** (a bridge that lost power) are found by TCP keepalive
///   (`keepaliveIdle` + `keepaliveProbes` x `keepaliveInterval`) and by TCP_USER_TIMEOUT
///   for unacknowledged answers.
final class PylonTCPClients {
    /// Connections answered at once.
    static let maxClients = 4
    /// A client idle this long may be displaced by a newcomer when all slots are taken.
    static let displaceAfter: Duration = .seconds(30)
    /// An answer must be taken by the client within this time.
    static let writeTimeout: Duration = .seconds(2)
    /// TCP keepalive: first probe after this much silence, then every interval, this many.
    static let keepaliveIdle = 10, keepaliveInterval = 5, keepaliveProbes = 3

    /// One connected client.
    struct Client {
        let fd: Int32
        let peer: String
        let connectedMs: UInt64
        let connectedAt: Date
        var splitter = PylonFrameSplitter()
        var lastRequestMs: UInt64?
        var requests = 0
        /// Answer bytes the client has not taken yet, and since when they wait.
        var unsent: [UInt8] = []
        var unsentSinceMs: UInt64 = 0

        /// Last activity, for displacement: the last request, or the connect.
        var lastActivityMs: UInt64 { lastRequestMs ?? connectedMs }
    }

    /// Counters for /metrics and /api/sinks.
    struct Stats: Sendable, Equatable {
        var accepted = 0
        var displaced = 0
        var refused = 0
        var writeTimeouts = 0
        var disconnects = 0
    }

    /// A client as /api/sinks shows it.
    struct ClientInfo: Sendable {
        var peer: String
        var connectedAt: Date
        var connectedSeconds: Double
        var requests: Int
        var idleSeconds: Double
    }

    let listenFD: Int32
    let logger: Logger
    let name: String
    private(set) var clients: [Client] = []
    private(set) var stats = Stats()
    private var throttle = LogThrottle()

    /// Serves the sockets accepted on `listenFD` (which the caller owns).
    init(listenFD: Int32, name: String, logger: Logger) {
        self.listenFD = listenFD
        self.name = name
        self.logger = logger
    }

    deinit { closeAll() }

    /// Waits up to `timeoutMs` for a connection, a request or room to write, and handles
    /// what came: `answer` turns one request frame into its answer.
    func step(timeoutMs: Int, answer: ([UInt8]) -> [UInt8]) {
        var fds = [pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)]
        for c in clients {
            fds.append(pollfd(fd: c.fd, events: Int16(POLLIN) | (c.unsent.isEmpty ? 0 : Int16(POLLOUT)), revents: 0))
        }
        // Wake in time for the oldest unsent answer's deadline.
        var wait = timeoutMs
        let now = MonotonicClock.nowMs()
        for c in clients where !c.unsent.isEmpty {
            let deadline = c.unsentSinceMs + UInt64(Self.writeTimeout.milliseconds)
            wait = min(wait, Int(deadline > now ? deadline - now : 0))
        }
        let ready = poll(&fds, nfds_t(fds.count), Int32(wait))
        guard ready >= 0 else { return }
        var gone: [Int32: String] = [:]
        for p in fds.dropFirst() where p.revents != 0 {
            guard let index = clients.firstIndex(where: { $0.fd == p.fd }) else { continue }
            if p.revents & Int16(POLLOUT) != 0, let why = flush(&clients[index]) {
                gone[p.fd] = why
                continue
            }
            if p.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0, let why = receive(&clients[index], answer: answer) { gone[p.fd] = why }
        }
        let later = MonotonicClock.nowMs()
        for c in clients where !c.unsent.isEmpty && gone[c.fd] == nil
            && later.saturatingAge(since: c.unsentSinceMs) >= UInt64(Self.writeTimeout.milliseconds) {
            stats.writeTimeouts += 1
            gone[c.fd] = "it took no answer for \(Self.writeTimeout.seconds) s (sends and never reads?)"
        }
        for (fd, why) in gone { drop(fd, why) }
        if fds[0].revents & Int16(POLLIN) != 0 { accept() }
        throttle.flush(logger: logger, level: .info)
    }

    /// Closes every client.
    func closeAll() {
        for c in clients { Glibc.close(c.fd) }
        clients.removeAll()
    }

    /// The clients now.
    var info: [ClientInfo] {
        let now = MonotonicClock.nowMs()
        return clients.map {
            ClientInfo(peer: $0.peer, connectedAt: $0.connectedAt, connectedSeconds: Double(now.saturatingAge(since: $0.connectedMs)) / 1000,
                       requests: $0.requests, idleSeconds: Double(now.saturatingAge(since: $0.lastActivityMs)) / 1000)
        }
    }

    /// Reads what the client sent and answers every complete request; the reason when the
    /// client is gone.
    private func receive(_ c: inout Client, answer: ([UInt8]) -> [UInt8]) -> String? {
        var buffer = [UInt8](repeating: 0, count: 1024)
        let n = buffer.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return nil }
        if n < 0 { return "read failed: \(String(cString: strerror(errno)))" }
        if n == 0 { return "closed by the client" }
        for request in c.splitter.feed(buffer[0..<n]) {
            c.requests += 1
            c.lastRequestMs = MonotonicClock.nowMs()
            if c.unsent.isEmpty { c.unsentSinceMs = MonotonicClock.nowMs() }
            c.unsent += answer(request)
            // A client that keeps asking and never reads: give up before its answers pile up.
            if c.unsent.count > 16 * 1024 {
                stats.writeTimeouts += 1
                return "it asks and never reads (\(c.unsent.count) bytes of answers waiting)"
            }
        }
        return flush(&c)
    }

    /// Sends what the client can take now; the reason when it is gone.
    private func flush(_ c: inout Client) -> String? {
        while !c.unsent.isEmpty {
            let n = c.unsent.withUnsafeBytes { send(c.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN { return nil }
            if n <= 0 { return "write failed: \(String(cString: strerror(errno)))" }
            c.unsent.removeFirst(n)
            c.unsentSinceMs = MonotonicClock.nowMs()
        }
        return nil
    }

    private func drop(_ fd: Int32, _ why: String) {
        guard let index = clients.firstIndex(where: { $0.fd == fd }) else { return }
        let c = clients.remove(at: index)
        Glibc.close(c.fd)
        stats.disconnects += 1
        throttle.note("disconnect", "\(name): \(c.peer) disconnected: \(why) (\(c.requests) requests)", level: .info, logger: logger)
    }

    private func accept() {
        var addr = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(listenFD, $0, &len) }
        }
        guard fd >= 0 else { return }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let peer = TCPListener.describe(addr)
        let now = MonotonicClock.nowMs()
        if clients.count >= Self.maxClients {
            let idlest = clients.indices.min { clients[$0].lastActivityMs < clients[$1].lastActivityMs }!
            let idle = now.saturatingAge(since: clients[idlest].lastActivityMs)
            guard idle >= UInt64(Self.displaceAfter.milliseconds) else {
                Glibc.close(fd)
                stats.refused += 1
                throttle.note("refused", "\(name): refused \(peer): \(Self.maxClients) clients connected, all asked within \(Int(Self.displaceAfter.seconds)) s",
                              level: .warning, logger: logger)
                return
            }
            stats.displaced += 1
            logger.info("\(name): \(clients[idlest].peer) idle for \(idle / 1000) s makes room for \(peer)")
            drop(clients[idlest].fd, "displaced by \(peer)")
        }
        Self.keepAlive(fd)
        clients.append(Client(fd: fd, peer: peer, connectedMs: now, connectedAt: Date()))
        stats.accepted += 1
        throttle.note("connect", "\(name): \(peer) connected (\(clients.count) of \(Self.maxClients))", level: .info, logger: logger)
    }

    /// TCP keepalive and a user timeout on `fd`, so a half-open connection is found.
    static func keepAlive(_ fd: Int32) {
        func set(_ level: Int32, _ option: Int32, _ value: Int32) {
            var v = value
            setsockopt(fd, level, option, &v, socklen_t(MemoryLayout<Int32>.size))
        }
        set(SOL_SOCKET, SO_KEEPALIVE, 1)
        set(Int32(IPPROTO_TCP), TCP_KEEPIDLE, Int32(keepaliveIdle))
        set(Int32(IPPROTO_TCP), TCP_KEEPINTVL, Int32(keepaliveInterval))
        set(Int32(IPPROTO_TCP), TCP_KEEPCNT, Int32(keepaliveProbes))
        set(Int32(IPPROTO_TCP), TCP_USER_TIMEOUT, Int32((keepaliveIdle + keepaliveInterval * keepaliveProbes) * 1000))
        set(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        // Answers are short (a few hundred bytes): a small send buffer makes a client that
        // never reads show itself in seconds instead of after megabytes.
        set(SOL_SOCKET, SO_SNDBUF, 16 * 1024)
    }
}
