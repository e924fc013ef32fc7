import Foundation
import Logging

/// Counters of a Modbus-TCP server.
public struct ModbusServerStats: Sendable, Equatable {
    /// Connections accepted.
    public var accepted = 0
    /// Connections closed to make room (max_connections or max_per_address reached).
    public var evicted = 0
    /// Connections refused (not in `allow:`, or full with no one to displace).
    public var refused = 0
    /// Requests answered with data.
    public var answered = 0
    /// Requests answered with a Modbus exception.
    public var exceptions = 0
    /// Connections closed for a malformed frame.
    public var malformed = 0
    /// Open connections now.
    public var open = 0
}

/// A read-only Modbus-TCP server: one listening thread, one thread per connection (a slow
/// or silent client only ever holds its own thread), each request framed by its MBAP header
/// and answered by `ModbusResponder` from the current `RegisterImage` (its own framing, not
/// libmodbus's: docs/ARCHITECTURE.md says why). Writes and
/// unserved function codes get "illegal function"; unknown unit ids get "gateway target
/// failed to respond" (0x0B); reads outside a unit's block get "illegal data address". Who
/// may connect and who makes room is the `ConnectionPolicy`: named clients (the site's
/// inverters) are never displaced, one address holds a bounded number of connections, and
/// at `maxConnections` the connection idle the longest goes, preferring ones that never sent
/// a request.
public final class ModbusTCPServer: @unchecked Sendable {

    public let host: String
    /// The port actually bound (differs from the requested one when that was 0).
    public private(set) var port: Int
    let policy: ConnectionPolicy
    let idleTimeout: Duration
    let logger: Logger
    let images: RegisterImageBox
    /// With exactly one unit, unit id 255 ("this server", Modbus-TCP spec) also reaches it.
    private var listenFD: Int32 = -1
    /// A pipe whose write end `stop` writes to: the accept thread sleeps in poll until a
    /// client or the stop arrives (no periodic wake-ups while idle).
    private var wakeFDs: [Int32] = [-1, -1]
    private var acceptThread: WorkerThread?
    private let lock = NSLock()
    private var connections: [Int: Connection] = [:]
    private var nextId = 0
    private var stopping = false
    private var counters = ModbusServerStats()

    /// One client; mutable fields are guarded by the server's lock.
    final class Connection: @unchecked Sendable {
        let fd: Int32
        let peer: String
        let address: PeerAddress?
        let named: Bool
        var lastActivity: UInt64
        var requests = 0
        /// Shut down to make room; its thread is on its way out.
        var evicted = false
        init(fd: Int32, peer: String, address: PeerAddress?, named: Bool) {
            self.fd = fd
            self.peer = peer
            self.address = address
            self.named = named
            lastActivity = MonotonicClock.nowMs()
        }
    }

    /// A server for `host:port` (not yet listening).
    public init(host: String, port: Int, policy: ConnectionPolicy, idleTimeout: Duration, image: RegisterImage, logger: Logger,
                clock: any GatewayClock = SystemClock()) {
        self.host = host
        self.port = port
        self.policy = policy
        self.idleTimeout = idleTimeout
        self.images = RegisterImageBox(image, clock: clock)
        self.logger = logger
    }

    /// Binds and starts accepting; throws a clear message when the address cannot be bound.
    public func start() throws {
        signal(SIGPIPE, SIG_IGN)
        listenFD = try TCPListener.listen(host: host, port: port)
        port = TCPListener.boundPort(listenFD)
        guard pipe(&wakeFDs) == 0 else {
            close(listenFD)
            listenFD = -1
            throw ModbusServerError("cannot make the stop pipe: \(String(cString: strerror(errno)))")
        }
        for fd in wakeFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let t = WorkerThread(name: "modbus-accept") { [self] in acceptLoop() }
        acceptThread = t
        t.start()
        logger.info("modbus-tcp listening on \(host):\(port)")
    }

    /// Replaces the registers every connection answers from.
    public func update(_ image: RegisterImage) { images.current = image }

    /// Replaces them by what `render` returns when a client next reads: the registers are
    /// encoded per read, not per snapshot, and a snapshot no client read costs nothing.
    public func update(later render: @escaping @Sendable () -> RegisterImage) { images.update(later: render) }

    /// Reads after `deadlineMs` (monotonic) with no newer update get `render`'s image: the
    /// stall rule of the inverter links.
    public func stall(after deadlineMs: UInt64, render: @escaping @Sendable () -> RegisterImage) {
        images.stall(after: deadlineMs, render: render)
    }

    /// Counters so far.
    public var stats: ModbusServerStats { lock.withLock { counters } }

    /// Stops accepting and closes every connection.
    public func stop() {
        let wasRunning = lock.withLock { () -> Bool in
            defer { stopping = true }
            for c in connections.values { shutdown(c.fd, Int32(SHUT_RDWR)) }
            return !stopping && acceptThread != nil
        }
        if wakeFDs[1] >= 0 {
            var byte: UInt8 = 1
            _ = Glibc.write(wakeFDs[1], &byte, 1)
        }
        if wasRunning { acceptThread?.join() }
        if listenFD >= 0 { close(listenFD); listenFD = -1 }
        for i in wakeFDs.indices where wakeFDs[i] >= 0 {
            close(wakeFDs[i])
            wakeFDs[i] = -1
        }
    }

    private func acceptLoop() {
        var fds = [pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeFDs[0], events: Int16(POLLIN), revents: 0)]
        while !lock.withLock({ stopping }) {
            guard poll(&fds, 2, -1) > 0, fds[0].revents != 0 else { continue }
            var addr = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listenFD, $0, &len) }
            }
            guard fd >= 0 else {
                if errno == EMFILE || errno == ENFILE {
                    logger.warning("modbus-tcp: out of file descriptors, waiting")
                    usleep(100_000)
                }
                continue
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            var yes: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            admit(fd: fd, peer: TCPListener.describe(addr), address: PeerAddress(addr))
        }
        let open = lock.withLock { Array(connections.values) }
        for c in open { shutdown(c.fd, Int32(SHUT_RDWR)) }
        // Connection threads close their own descriptors; wait briefly so stop() returns clean.
        for _ in 0..<50 where lock.withLock({ !connections.isEmpty }) { usleep(20_000) }
    }

    private func admit(fd: Int32, peer: String, address: PeerAddress?) {
        let connection = Connection(fd: fd, peer: peer, address: address, named: policy.isNamed(address))
        let admitted: Int? = lock.withLock {
            let live = connections.filter { !$0.value.evicted }.map { id, c in
                ConnectionPolicy.Open(id: id, peer: c.address, named: c.named, used: c.requests > 0, lastActivity: c.lastActivity)
            }
            switch policy.decide(peer: address, open: live) {
            case .refuse(let reason):
                counters.refused += 1
                logger.debug("modbus-tcp: refusing \(peer): \(reason)")
                return nil
            case .admit(let evicting):
                for id in evicting {
                    guard let victim = connections[id] else { continue }
                    victim.evicted = true
                    shutdown(victim.fd, Int32(SHUT_RDWR))
                    counters.evicted += 1
                    logger.debug("modbus-tcp: closing \(victim.peer) (idle) to make room for \(peer)")
                }
            }
            nextId += 1
            connections[nextId] = connection
            counters.accepted += 1
            counters.open = connections.count
            return nextId
        }
        guard let id = admitted else {
            close(fd)
            return
        }
        WorkerThread.detach(name: "modbus-conn", stackSize: 256 * 1024) { [self] in serve(connection, id: id) }
    }

    private func serve(_ connection: Connection, id: Int) {
        defer {
            close(connection.fd)
            lock.withLock {
                connections[id] = nil
                counters.open = connections.count
            }
        }
        let server = "bmsgate " + GatewayVersion.current
        let idleMs = Int(idleTimeout.milliseconds)
        while true {
            // MBAP header: transaction id, protocol id (0), length (unit id + PDU), unit id.
            guard let header = Self.read(connection.fd, count: 7, firstByteMs: idleMs) else { break }  // closed, idle, displaced
            let protocolId = Int(header[2]) << 8 | Int(header[3])
            let length = Int(header[4]) << 8 | Int(header[5])
            guard protocolId == 0, (2...254).contains(length), let pdu = Self.read(connection.fd, count: length - 1, firstByteMs: 500) else {
                lock.withLock { counters.malformed += 1 }
                logger.debug("modbus-tcp: malformed MBAP header from \(connection.peer), closing")
                break
            }
            // Before the reply: a client that has its answer must already count as active
            // (eviction spares connections that have talked).
            lock.withLock {
                connection.lastActivity = MonotonicClock.nowMs()
                connection.requests += 1
            }
            let answer = ModbusResponder.answer(header + pdu, image: images.current, serverText: server)
            lock.withLock { if answer.exception { counters.exceptions += 1 } else { counters.answered += 1 } }
            guard Self.write(connection.fd, answer.bytes) else { break }
        }
    }

    /// Reads exactly `count` bytes: the first within `firstByteMs`, each next within 500 ms
    /// (a request is never split for long); nil when the peer closed or went quiet.
    static func read(_ fd: Int32, count: Int, firstByteMs: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32(got == 0 ? firstByteMs : 500))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return nil }
            let n = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            got += n
        }
        return out
    }

    /// Writes all of `bytes`; false when the peer is gone.
    static func write(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }
}

/// A Modbus server failure with a message for the user.
public struct ModbusServerError: Error, CustomStringConvertible {
    public var description: String
    init(_ message: String) { description = message }
}
