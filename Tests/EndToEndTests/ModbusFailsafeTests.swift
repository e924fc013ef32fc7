import BMSGate
import Foundation
import Testing

/// The failsafe end to end: one pack's emulator (a `bmsgate simulate` behind its own pty) is
/// killed; a real Modbus client sees the bank's current limits drop to 0 A within
/// stale_after + one poll, the alarm state, and recovery when the emulator is back.
@Suite(.serialized) struct ModbusFailsafeTests {
    /// Charge and discharge current limits as SunSpec AChaMax/ADisChaMax (scaled) and as the
    /// simple map's registers 26/27 (0.1 A), read with mbpoll.
    struct Limits: Equatable {
        var sunspec: [Double]
        var simple: [Double]
        var allZero: Bool { (sunspec + simple).allSatisfy { $0 == 0 } }
        var allPositive: Bool { (sunspec + simple).allSatisfy { $0 > 0 } }
    }

    static let battery = SunSpecModel.battery
    static let batteryAddress = 40000 + 2 + 2 + SunSpecModel.common.fixedLength  // 802 follows SunS and model 1

    static func limits(sunspecPort: Int, simplePort: Int) -> Limits? {
        let start = batteryAddress
        guard let regs = TestTools.mbpoll(port: sunspecPort, address: start, count: battery.fixedLength + 2),
              let simple = TestTools.mbpoll(port: simplePort, address: 26, count: 2) else { return nil }
        func reg(_ point: String) -> Int { regs[battery.offset(of: point)!] }
        let sf = Double(Int16(truncatingIfNeeded: reg("AMax_SF")))
        let scale = pow(10, sf)
        return Limits(sunspec: [Double(reg("AChaMax")) * scale, Double(reg("ADisChaMax")) * scale],
                      simple: simple.map { Double($0) / 10 })
    }

    static func point(_ name: String, port: Int) -> Int? {
        TestTools.mbpoll(port: port, address: batteryAddress + battery.offset(of: name)!, count: 1)?.first
    }

    @Test func killingOnePacksEmulatorZeroesTheLimitsUntilItIsBack() throws {
        let dir = try TestTools.tempDir("failsafe")
        let tty1 = dir + "/tty1", tty2 = dir + "/tty2"
        let sim1 = try ModbusSunSpecTests.simulator(tty1, addresses: [1])
        defer { _ = sim1.stop() }
        var sim2 = try ModbusSunSpecTests.simulator(tty2, addresses: [2])
        defer { _ = sim2.stop() }
        let staleAfter = 1.5, poll = 0.5
        try """
            site: failsafe-test
            buses:
              - {id: rack1, type: serial, device: \(tty1), baud: 9600}
              - {id: rack2, type: serial, device: \(tty2), baud: 9600}
            packs:
              - {id: p1, driver: basen, bus: rack1, address: 1, poll_interval: 500ms, timeout: 200ms, retries: 0, max_backoff: 1s}
              - {id: p2, driver: basen, bus: rack2, address: 2, poll_interval: 500ms, timeout: 200ms, retries: 0, max_backoff: 1s}
            banks:
              - id: main
                packs: [p1, p2]
                stale_after: 1500ms
                limits: {charge_current: 100, discharge_current: 150}
            sinks:
              - {type: modbus-tcp, listen: "127.0.0.1:0", map: sunspec}
              - {type: modbus-tcp, listen: "127.0.0.1:0", map: simple}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let gateway = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        defer { _ = gateway.stop() }
        let modbusPorts = try gateway.ports("modbus-tcp", count: 2)
        let sunspecPort = modbusPorts[0]
        let simplePort = modbusPorts[1]

        // The server answers from the start (0 A until data arrives), then the configured maxima.
        var first: Limits?
        #expect(TestTools.waitUntil(10) { first = Self.limits(sunspecPort: sunspecPort, simplePort: simplePort); return first != nil })
        #expect(TestTools.waitUntil(10) { Self.limits(sunspecPort: sunspecPort, simplePort: simplePort)?.allPositive == true })
        #expect(Self.limits(sunspecPort: sunspecPort, simplePort: simplePort) == Limits(sunspec: [100, 150], simple: [100, 150]))
        #expect(Self.point("State", port: sunspecPort) == 3)

        // Kill pack 2's emulator outright.
        kill(sim2.process.processIdentifier, SIGKILL)
        let killedAt = Date()
        // SIGKILL leaves the symlink behind; its /dev/pts number can be handed to another test's
        // emulator (which also serves address 2), so take the link away as a vanished port would.
        try? FileManager.default.removeItem(atPath: tty2)
        // The limits must reach 0 A; how soon is printed (the bound below is loose on purpose:
        // this suite shares two cores with the others, so scheduling adds seconds at times).
        #expect(TestTools.waitUntil(15) { Self.limits(sunspecPort: sunspecPort, simplePort: simplePort)?.allZero == true })
        let reaction = Date().timeIntervalSince(killedAt)
        print("failsafe: limits read 0 A \(String(format: "%.2f", reaction)) s after the emulator was killed (stale_after \(staleAfter) s + poll \(poll) s)")
        #expect(reaction <= staleAfter + poll + 3.0, "limits took \(reaction) s to reach 0 A")
        let events = try #require(TestTools.mbpoll(port: sunspecPort, address: Self.batteryAddress + Self.battery.offset(of: "Evt1")!, count: 2))
        #expect(events[1] & 1 == 1, "COMMUNICATION_ERROR")
        #expect(Self.point("StateVnd", port: sunspecPort) == 1)
        #expect(TestTools.mbpoll(port: simplePort, address: 3, count: 1) == [1])  // degraded
        #expect(TestTools.mbpoll(port: simplePort, address: 200, count: 1) == [0])  // p2 offline
        // Stays at 0 while the pack is gone.
        Thread.sleep(forTimeInterval: 2)
        #expect(Self.limits(sunspecPort: sunspecPort, simplePort: simplePort)?.allZero == true)

        // The emulator comes back on the same path: fresh data, limits restored.
        _ = sim2.stop()
        sim2 = try ModbusSunSpecTests.simulator(tty2, addresses: [2])
        let backAt = Date()
        #expect(TestTools.waitUntil(20) { Self.limits(sunspecPort: sunspecPort, simplePort: simplePort) == Limits(sunspec: [100, 150], simple: [100, 150]) })
        print("failsafe: limits restored \(String(format: "%.2f", Date().timeIntervalSince(backAt))) s after the emulator came back")
        #expect(Self.point("StateVnd", port: sunspecPort) == 0)

        // Both packs gone: FAULT.
        kill(sim1.process.processIdentifier, SIGKILL)
        kill(sim2.process.processIdentifier, SIGKILL)
        try? FileManager.default.removeItem(atPath: tty1)
        try? FileManager.default.removeItem(atPath: tty2)
        #expect(TestTools.waitUntil(15) { Self.point("State", port: sunspecPort) == 99 })
        #expect(Self.limits(sunspecPort: sunspecPort, simplePort: simplePort)?.allZero == true)
        #expect(TestTools.mbpoll(port: simplePort, address: 3, count: 1) == [2])
        let stopped = gateway.stop(SIGTERM)
        #expect(stopped.status == 0, "\(stopped.stderr)")
    }
}
