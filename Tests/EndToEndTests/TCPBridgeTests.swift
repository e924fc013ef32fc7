import BMSGate
import Foundation
import Logging
import Testing

/// A loopback stand-in for an RS485-over-TCP bridge: each connection's bytes go to the Basen
/// emulator (from the built plugin) and its answers come back. It hangs up after
/// `hangUpAfter` requests per connection, like a bridge that reboots.
final class LoopbackBridge: @unchecked Sendable {
    let listener: Int32
    let port: Int
    let emulator: EmulatorHandle
    let hangUpAfter: Int
    private let lock = NSLock()
    private(set) var connections = 0

    init(emulator: EmulatorHandle, hangUpAfter: Int) throws {
        self.emulator = emulator
        self.hangUpAfter = hangUpAfter
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        listen(fd, 4)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        listener = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        Thread { [self] in serve() }.start()
    }

    var connectionCount: Int { lock.withLock { connections } }

    private func serve() {
        while true {
            let c = accept(listener, nil, nil)
            guard c >= 0 else { return }
            lock.withLock { connections += 1 }
            var buffer = [UInt8](repeating: 0, count: 512)
            var requests = 0
            while requests < hangUpAfter {
                let n = buffer.withUnsafeMutableBytes { read(c, $0.baseAddress, $0.count) }
                guard n > 0 else { break }
                let answer = lock.withLock { emulator.exchange(Array(buffer.prefix(n))) }
                if !answer.isEmpty { requests += 1 }
                _ = answer.withUnsafeBytes { write(c, $0.baseAddress, $0.count) }
            }
            close(c)
        }
    }
}

/// Collects snapshots (a real sink behind the real SinkRunner).
final class CollectingSink: Sink, @unchecked Sendable {
    private let lock = NSLock()
    private var snapshots: [Snapshot] = []
    var name: String { "collector" }
    func write(_ snapshot: Snapshot) { lock.withLock { snapshots.append(snapshot) } }
    func close() {}
    var last: Snapshot? { lock.withLock { snapshots.last } }
}

@Suite(.serialized) struct TCPBridgeTests {
    @Test func pollsThroughATCPBridgeAndReconnectsAfterAHangUp() throws {
        let catalog = DriverLoader.load(directories: [TestTools.binDir])
        let basen = try #require(catalog.driver("basen"))
        let bridge = try LoopbackBridge(emulator: try EmulatorHandle(driver: basen, addresses: ["3"]), hangUpAfter: 8)
        let config = try ConfigLoader.parse(yaml: """
            site: tcp-test
            buses:
              - {id: bridge, type: tcp, host: 127.0.0.1, port: \(bridge.port), connect_timeout: 1s}
            packs:
              - {id: p3, driver: basen, bus: bridge, address: 3, poll_interval: 100ms, timeout: 300ms, retries: 1, max_backoff: 400ms}
            """, file: "tcp.yaml")
        let sink = CollectingSink()
        let gateway = try Gateway(config: config, catalog: catalog, logger: Logger(label: "test"), sinkOverride: [sink])
        gateway.start()
        defer { gateway.stop() }
        // 4 static requests + info polls; the bridge hangs up every 8 answers.
        let reconnected = TestTools.waitUntil(15) {
            guard let p = sink.last?.packs.first else { return false }
            return p.counters.ok >= 12 && bridge.connectionCount >= 2
        }
        #expect(reconnected)
        let pack = try #require(sink.last?.packs.first)
        #expect(pack.online)
        #expect(pack.reading?.identity.serial == "BG48280-2024-0003")
        #expect(pack.reading?.cells.count == 16)
        #expect(pack.counters.ok >= 12)
        #expect(pack.counters.reopens >= 1)
    }
}
