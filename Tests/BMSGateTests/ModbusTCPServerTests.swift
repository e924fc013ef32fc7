import Foundation
import Logging
import Testing

@testable import BMSGate

/// A raw Modbus-TCP client on a blocking socket: sends exactly the bytes a test gives.
final class RawModbusClient {
    let fd: Int32

    /// Connects to 127.0.0.1:`port` from `source` (any 127.x.y.z address is this machine,
    /// so tests can play several clients).
    init(port: Int, from source: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        _ = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }

    /// Reads what arrives within `timeout` seconds; nil on EOF/reset before anything arrived.
    func receive(timeout: Double = 2) -> [UInt8]? {
        var out: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 50) > 0 else {
                if out.count >= 9 { return out }
                continue
            }
            var buffer = [UInt8](repeating: 0, count: 300)
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return out.isEmpty ? nil : out }
            out += buffer[0..<n]
            if out.count >= 6, out.count >= 6 + (Int(out[4]) << 8 | Int(out[5])) { return out }
        }
        return out.isEmpty ? [] : out
    }

    /// True when the server closed the connection within `timeout` seconds.
    func closedByPeer(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 50) > 0 {
                var b: UInt8 = 0
                if recv(fd, &b, 1, 0) <= 0 { return true }
            }
        }
        return false
    }

    /// A read request (fc 3 or 4) frame.
    static func read(unit: UInt8, function: UInt8 = 3, start: Int, count: Int, transaction: UInt16 = 1) -> [UInt8] {
        [UInt8(transaction >> 8), UInt8(transaction & 0xFF), 0, 0, 0, 6, unit, function,
         UInt8(start >> 8), UInt8(start & 0xFF), UInt8(count >> 8), UInt8(count & 0xFF)]
    }

    /// Registers of a good read answer, or the exception code as a negative number.
    static func parse(_ answer: [UInt8]?) -> Result<[UInt16], ModbusException> {
        guard let a = answer, a.count >= 9 else { return .failure(.init(code: -1)) }
        if a[7] & 0x80 != 0 { return .failure(.init(code: Int(a[8]))) }
        let n = Int(a[8]) / 2
        guard a.count >= 9 + 2 * n else { return .failure(.init(code: -2)) }
        return .success((0..<n).map { UInt16(a[9 + 2 * $0]) << 8 | UInt16(a[10 + 2 * $0]) })
    }

    struct ModbusException: Error, Equatable { var code: Int }
}

/// The server stays up and keeps answering a well-behaved client through everything a
/// network can throw at it.
@Suite(.serialized) struct ModbusTCPServerTests {
    static func image(_ base: UInt16 = 100) -> RegisterImage {
        RegisterImage(units: [1: UnitRegisters(start: 40000, registers: (0..<10).map { base + UInt16($0) })])
    }

    func server(maxConnections: Int = 8, idle: Duration = .seconds(30)) throws -> ModbusTCPServer {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let s = ModbusTCPServer(host: "127.0.0.1", port: 0, policy: ConnectionPolicy(maxConnections: maxConnections, maxPerAddress: maxConnections), idleTimeout: idle,
                                image: Self.image(), logger: logger)
        try s.start()
        return s
    }

    func readsWell(_ port: Int) throws -> Bool {
        let c = try RawModbusClient(port: port)
        c.send(RawModbusClient.read(unit: 1, start: 40000, count: 3))
        return (try? RawModbusClient.parse(c.receive()).get()) == [100, 101, 102]
    }

    @Test func readsHoldingAndInputRegistersAndSwapsImagesWhole() throws {
        let s = try server()
        defer { s.stop() }
        let c = try RawModbusClient(port: s.port)
        c.send(RawModbusClient.read(unit: 1, start: 40002, count: 8, transaction: 0x1234))
        let answer = try #require(c.receive())
        #expect(Array(answer[0..<2]) == [0x12, 0x34])  // transaction id echoed
        #expect(try RawModbusClient.parse(answer).get() == [102, 103, 104, 105, 106, 107, 108, 109])
        c.send(RawModbusClient.read(unit: 1, function: 4, start: 40000, count: 2))
        #expect(try RawModbusClient.parse(c.receive()).get() == [100, 101])
        s.update(Self.image(500))
        c.send(RawModbusClient.read(unit: 1, start: 40000, count: 10))
        #expect(try RawModbusClient.parse(c.receive()).get() == (0..<10).map { 500 + UInt16($0) })
    }

    @Test func writesAreRefusedAndNeverApplied() throws {
        let s = try server()
        defer { s.stop() }
        let c = try RawModbusClient(port: s.port)
        let writes: [[UInt8]] = [
            [0, 1, 0, 0, 0, 6, 1, 0x06, 0x9C, 0x40, 0x00, 0x07],  // write single register 40000 = 7
            [0, 2, 0, 0, 0, 9, 1, 0x10, 0x9C, 0x40, 0x00, 0x01, 0x02, 0x00, 0x07],  // write multiple
            [0, 3, 0, 0, 0, 6, 1, 0x05, 0x00, 0x00, 0xFF, 0x00],  // write coil
            [0, 4, 0, 0, 0, 8, 1, 0x16, 0x9C, 0x40, 0x00, 0x00, 0x00, 0x07],  // mask write
            [0, 5, 0, 0, 0, 13, 1, 0x17, 0x9C, 0x40, 0x00, 0x01, 0x9C, 0x40, 0x00, 0x01, 0x02, 0x00, 0x07],  // read/write
        ]
        for w in writes {
            c.send(w)
            let answer = try #require(c.receive())
            #expect(answer[7] == w[7] | 0x80, "function \(w[7])")
            #expect(answer[8] == 1, "illegal function for \(w[7])")
        }
        c.send(RawModbusClient.read(unit: 1, start: 40000, count: 1))
        #expect(try RawModbusClient.parse(c.receive()).get() == [100])
    }

    @Test func wrongUnitsAndAddressesGetExceptions() throws {
        let s = try server()
        defer { s.stop() }
        let c = try RawModbusClient(port: s.port)
        c.send(RawModbusClient.read(unit: 9, start: 40000, count: 1))
        #expect(RawModbusClient.parse(c.receive()) == .failure(.init(code: 0x0B)))
        c.send(RawModbusClient.read(unit: 0xFF, start: 40000, count: 1))  // "this server", single unit
        #expect(try RawModbusClient.parse(c.receive()).get() == [100])
        c.send(RawModbusClient.read(unit: 1, start: 40008, count: 3))  // past the end
        #expect(RawModbusClient.parse(c.receive()) == .failure(.init(code: 2)))
        c.send(RawModbusClient.read(unit: 1, start: 0, count: 1))  // before the start
        #expect(RawModbusClient.parse(c.receive()) == .failure(.init(code: 2)))
        c.send(RawModbusClient.read(unit: 1, start: 40000, count: 126))  // more than a frame holds
        #expect(RawModbusClient.parse(c.receive()) == .failure(.init(code: 3)))
        c.send(RawModbusClient.read(unit: 1, function: 1, start: 0, count: 1))  // coils: not served
        #expect(RawModbusClient.parse(c.receive()) == .failure(.init(code: 1)))
        c.send([0, 9, 0, 0, 0, 2, 1, 0x42])  // unknown function
        #expect(RawModbusClient.parse(c.receive()) == .failure(.init(code: 1)))
        c.send(RawModbusClient.read(unit: 1, start: 40000, count: 1))
        #expect(try RawModbusClient.parse(c.receive()).get() == [100])
        let stats = s.stats
        #expect(stats.exceptions == 6)
        #expect(stats.answered == 2)
    }

    /// Function codes the server does not serve get ILLEGAL FUNCTION on an open connection,
    /// and errors are answered at once (libmodbus paused 500 ms before some).
    @Test func unservedFunctionsAndErrorsAreAnsweredAtOnce() throws {
        let s = try server()
        defer { s.stop() }
        let c = try RawModbusClient(port: s.port)
        for pdu: [UInt8] in [[0x2B, 0x0E, 0x01, 0x00], [0x08, 0x00, 0x00, 0x12, 0x34], [0x07], [0x14, 0x00], [0x01, 0x00, 0x00, 0x00, 0x08]] {
            let length = pdu.count + 1
            c.send([0, 7, 0, 0, UInt8(length >> 8), UInt8(length & 0xFF), 1] + pdu)
            let answer = c.receive()
            #expect(answer.map { Array($0.prefix(9)) } == [0, 7, 0, 0, 0, 3, 1, pdu[0] | 0x80, 1], "fc \(pdu[0]): \(answer ?? [])")
        }
        let t0 = Date()
        c.send(RawModbusClient.read(unit: 1, start: 40000, count: 0))  // ILLEGAL DATA VALUE
        #expect(RawModbusClient.parse(c.receive()) == .failure(.init(code: 3)))
        c.send(RawModbusClient.read(unit: 1, start: 50000, count: 1))  // ILLEGAL DATA ADDRESS
        #expect(RawModbusClient.parse(c.receive()) == .failure(.init(code: 2)))
        #expect(Date().timeIntervalSince(t0) < 0.4, "two error answers took \(Date().timeIntervalSince(t0)) s")
        c.send(RawModbusClient.read(unit: 1, start: 40000, count: 2))
        #expect(try RawModbusClient.parse(c.receive()).get() == [100, 101])
    }

    @Test func malformedFramesCloseOnlyTheirConnection() throws {
        let s = try server()
        defer { s.stop() }
        let bad: [[UInt8]] = [
            [0, 1, 0, 1, 0, 6, 1, 3, 0x9C, 0x40, 0, 1],  // protocol id 1
            [0, 1, 0, 0, 0, 9, 1, 3, 0x9C, 0x40, 0, 1],  // length says 9, frame has 6
            [0, 1, 0, 0, 0, 6, 1],  // truncated, then silence
            Array(repeating: 0xFF, count: 300),  // garbage
            [0, 1, 0, 0, 0xFF, 0xFF, 1, 3] + Array(repeating: 0, count: 40),  // absurd length
        ]
        let good = try RawModbusClient(port: s.port)  // connected throughout
        for frame in bad {
            let c = try RawModbusClient(port: s.port)
            c.send(frame)
            #expect(c.closedByPeer(timeout: 3), "\(frame.prefix(8))")
            good.send(RawModbusClient.read(unit: 1, start: 40000, count: 1))
            #expect(try RawModbusClient.parse(good.receive()).get() == [100])
        }
        #expect(try readsWell(s.port))
    }

    @Test func aFloodOfSilentConnectionsDoesNotLockOutARealClient() throws {
        let s = try server(maxConnections: 16)
        defer { s.stop() }
        let regular = try RawModbusClient(port: s.port)
        regular.send(RawModbusClient.read(unit: 1, start: 40000, count: 1))
        #expect(try RawModbusClient.parse(regular.receive()).get() == [100])
        var flood: [RawModbusClient] = []
        for _ in 0..<200 { flood.append(try RawModbusClient(port: s.port)) }
        // The client that was already talking keeps its connection...
        for i in 0..<5 {
            regular.send(RawModbusClient.read(unit: 1, start: 40000, count: 1, transaction: UInt16(i)))
            #expect(try RawModbusClient.parse(regular.receive()).get() == [100])
        }
        // ...and a new one gets in and is answered.
        #expect(try readsWell(s.port))
        #expect(TestWait.until(5) { s.stats.open <= 17 })
        let stats = s.stats
        #expect(stats.accepted >= 202)
        #expect(stats.evicted >= 185)
        flood.removeAll()
    }

    @Test func silentClientsAreClosedAfterTheIdleTimeout() throws {
        let s = try server(idle: .seconds(1))
        defer { s.stop() }
        let silent = try RawModbusClient(port: s.port)
        #expect(silent.closedByPeer(timeout: 5))
        #expect(try readsWell(s.port))
    }

    @Test func aBusyPortIsAClearError() throws {
        let s = try server()
        defer { s.stop() }
        let other = ModbusTCPServer(host: "127.0.0.1", port: s.port, policy: ConnectionPolicy(maxConnections: 1, maxPerAddress: 1), idleTimeout: .seconds(1),
                                    image: Self.image(), logger: Logger(label: "t"))
        #expect(throws: TransportError.self) { try other.start() }
        do { try other.start() } catch { #expect("\(error)".contains("cannot listen on 127.0.0.1:\(s.port): Address already in use")) }
    }
}

enum TestWait {
    static func until(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }
}
