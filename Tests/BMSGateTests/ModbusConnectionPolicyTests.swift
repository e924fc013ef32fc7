import Foundation
import Logging
import Testing

@testable import BMSGate

/// An inverter polling the Modbus server keeps its connection while other LAN clients churn
/// connections (hardening issue, item 3).
@Suite(.serialized) struct ModbusConnectionPolicyTests {
    static let inverter = "127.0.0.5"

    func server(_ policy: ConnectionPolicy) throws -> ModbusTCPServer {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let s = ModbusTCPServer(host: "127.0.0.1", port: 0, policy: policy, idleTimeout: .seconds(30),
                                image: ModbusTCPServerTests.image(), logger: logger)
        try s.start()
        return s
    }

    /// Polls every `interval` on one kept connection from `inverter` while `churn` runs;
    /// returns how many polls failed (the connection had been closed under it).
    func failedPolls(port: Int, polls: Int, interval: Double, churnFrom sources: [String]) throws -> Int {
        let stop = Flag()
        let churner = Thread {
            var held: [RawModbusClient] = []
            var i = 0
            while !stop.isSet {
                if let c = try? RawModbusClient(port: port, from: sources[i % sources.count]) {
                    c.send(RawModbusClient.read(unit: 1, start: 40000, count: 1))
                    _ = c.receive(timeout: 0.2)
                    held.append(c)
                    if held.count > 64 { held.removeFirst() }
                }
                i += 1
                usleep(10_000)  // ~80 connections a second
            }
        }
        churner.start()
        defer { stop.set() }
        var failures = 0
        var client = try RawModbusClient(port: port, from: Self.inverter)
        for poll in 0..<polls {
            Thread.sleep(forTimeInterval: interval)
            client.send(RawModbusClient.read(unit: 1, start: 40000, count: 1, transaction: UInt16(poll)))
            if (try? RawModbusClient.parse(client.receive()).get()) != [100] {
                failures += 1
                client = try RawModbusClient(port: port, from: Self.inverter)
            }
        }
        return failures
    }

    @Test func withoutAPerAddressLimitAChurningClientDisplacesTheInverter() throws {
        // The behaviour the issue reported: every slot open to anyone, the idlest goes.
        let s = try server(ConnectionPolicy(maxConnections: 8, maxPerAddress: 8))
        defer { s.stop() }
        let failures = try failedPolls(port: s.port, polls: 6, interval: 0.4, churnFrom: ["127.0.0.1"])
        #expect(failures >= 3, "the churn should displace the inverter's idle connection")
    }

    @Test func aChurningClientDisplacesOnlyItsOwnConnections() throws {
        let s = try server(ConnectionPolicy(maxConnections: 8, maxPerAddress: ConnectionPolicy.defaultPerAddress(8)))
        defer { s.stop() }
        #expect(try failedPolls(port: s.port, polls: 6, interval: 0.4, churnFrom: ["127.0.0.1"]) == 0)
        #expect(s.stats.evicted > 10)
        #expect(s.stats.open <= 8)
    }

    @Test func aNamedClientIsNeverDisplacedByChurnFromManyAddresses() throws {
        var policy = ConnectionPolicy(maxConnections: 8, maxPerAddress: 2)
        policy.clients = [AddressPattern(Self.inverter)!]
        let s = try server(policy)
        defer { s.stop() }
        let many = (10..<60).map { "127.0.0.\($0)" }
        #expect(try failedPolls(port: s.port, polls: 6, interval: 0.4, churnFrom: many) == 0)
        #expect(s.stats.evicted > 10)
    }

    @Test func addressesOutsideTheAllowListAreRefused() throws {
        var policy = ConnectionPolicy(maxConnections: 8, maxPerAddress: 2)
        policy.allow = [AddressPattern("127.0.0.0/30")!]  // .0 to .3
        policy.clients = [AddressPattern(Self.inverter)!]
        let s = try server(policy)
        defer { s.stop() }
        let stranger = try RawModbusClient(port: s.port, from: "127.0.0.9")
        stranger.send(RawModbusClient.read(unit: 1, start: 40000, count: 1))
        #expect(stranger.receive(timeout: 2) == nil)
        let allowed = try RawModbusClient(port: s.port, from: "127.0.0.2")
        allowed.send(RawModbusClient.read(unit: 1, start: 40000, count: 1))
        #expect(try RawModbusClient.parse(allowed.receive()).get() == [100])
        let named = try RawModbusClient(port: s.port, from: Self.inverter)
        named.send(RawModbusClient.read(unit: 1, start: 40000, count: 1))
        #expect(try RawModbusClient.parse(named.receive()).get() == [100])
        #expect(s.stats.refused == 1)
    }

    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        var isSet: Bool { lock.withLock { value } }
        func set() { lock.withLock { value = true } }
    }
}

/// The decision alone, without sockets.
struct ConnectionPolicyDecisionTests {
    func open(_ id: Int, _ peer: String, named: Bool = false, busy: Bool = false, used: Bool = true, at t: UInt64) -> ConnectionPolicy.Open {
        .init(id: id, peer: PeerAddress(peer), named: named, busy: busy, used: used, lastActivity: t)
    }

    @Test func fullServerDisplacesTheUnusedThenTheIdlest() {
        let p = ConnectionPolicy(maxConnections: 3, maxPerAddress: 3)
        let held = [open(1, "10.0.0.1", at: 5), open(2, "10.0.0.2", used: false, at: 9), open(3, "10.0.0.3", at: 1)]
        #expect(p.decide(peer: PeerAddress("10.0.0.4"), open: held) == .admit(evicting: [2]))
        let allUsed = [open(1, "10.0.0.1", at: 5), open(2, "10.0.0.2", at: 9), open(3, "10.0.0.3", at: 1)]
        #expect(p.decide(peer: PeerAddress("10.0.0.4"), open: allUsed) == .admit(evicting: [3]))
    }

    @Test func namedAndBusyConnectionsAreNeverDisplaced() {
        var p = ConnectionPolicy(maxConnections: 2, maxPerAddress: 2)
        p.clients = [AddressPattern("10.0.0.1")!]
        let held = [open(1, "10.0.0.1", named: true, at: 0), open(2, "10.0.0.2", busy: true, at: 0)]
        guard case .refuse = p.decide(peer: PeerAddress("10.0.0.3"), open: held) else {
            Issue.record("a full server of named and busy connections must refuse")
            return
        }
        let idleOther = [open(1, "10.0.0.1", named: true, at: 0), open(2, "10.0.0.2", at: 0)]
        #expect(p.decide(peer: PeerAddress("10.0.0.1"), open: idleOther) == .admit(evicting: [2]))
    }

    @Test func oneAddressOnlyEverDisplacesItsOwn() {
        let p = ConnectionPolicy(maxConnections: 8, maxPerAddress: 2)
        let held = [open(1, "10.0.0.9", at: 0), open(2, "10.0.0.1", at: 3), open(3, "10.0.0.1", at: 7)]
        #expect(p.decide(peer: PeerAddress("10.0.0.1"), open: held) == .admit(evicting: [2]))
        #expect(p.decide(peer: PeerAddress("10.0.0.2"), open: held) == .admit(evicting: []))
    }

    @Test func allowListRefusesStrangersButNotNamedClients() {
        var p = ConnectionPolicy(maxConnections: 8, maxPerAddress: 2)
        p.allow = [AddressPattern("192.168.1.0/24")!]
        p.clients = [AddressPattern("10.1.1.1")!]
        #expect(p.decide(peer: PeerAddress("192.168.1.77"), open: []) == .admit(evicting: []))
        #expect(p.decide(peer: PeerAddress("10.1.1.1"), open: []) == .admit(evicting: []))
        #expect(p.decide(peer: PeerAddress("192.168.2.1"), open: []) == .refuse("192.168.2.1 is not in the allow list"))
        #expect(p.decide(peer: nil, open: []) == .refuse("? is not in the allow list"))
    }
}

/// Addresses and networks as a site file writes them.
struct AddressPatternTests {
    @Test func ipv4AndNetworks() {
        let one = AddressPattern("192.168.1.20")!
        #expect(one.matches(PeerAddress("192.168.1.20")!))
        #expect(!one.matches(PeerAddress("192.168.1.21")!))
        #expect(one.matches(PeerAddress("::ffff:192.168.1.20")!), "an IPv4 client on an IPv6 listener")
        let net = AddressPattern("192.168.1.0/24")!
        #expect(net.matches(PeerAddress("192.168.1.255")!))
        #expect(!net.matches(PeerAddress("192.168.2.1")!))
        let odd = AddressPattern("10.0.0.0/13")!
        #expect(odd.matches(PeerAddress("10.7.255.1")!))
        #expect(!odd.matches(PeerAddress("10.8.0.1")!))
        #expect(AddressPattern("0.0.0.0/0")!.matches(PeerAddress("8.8.8.8")!))
        #expect(!AddressPattern("0.0.0.0/0")!.matches(PeerAddress("fd00::1")!))
    }

    @Test func ipv6AndNetworks() {
        let net = AddressPattern("fd00::/8")!
        #expect(net.matches(PeerAddress("fd12:3456::1")!))
        #expect(!net.matches(PeerAddress("fe80::1")!))
        #expect(AddressPattern("::1")!.matches(PeerAddress("::1")!))
        #expect(PeerAddress("::ffff:10.0.0.2")!.description == "10.0.0.2")
        #expect(PeerAddress("fe80::1")!.description == "fe80::1")
    }

    @Test func malformedEntriesAreRefused() {
        for bad in ["", "abc", "192.168.1", "192.168.1.0/33", "192.168.1.0/", "/24", "fd00::/129", "1.2.3.4/x", "1.2.3.4/24/1", "host.local"] {
            #expect(AddressPattern(bad) == nil, "\(bad)")
        }
    }
}
