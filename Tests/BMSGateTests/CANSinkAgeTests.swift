import Foundation
import Logging
import Testing

@testable import BMSGate

/// The can sink's failsafe on the gateway's own stall reads monotonic ages that cannot
/// wrap: a state written by the publisher while the sink thread was opening the adapter
/// (stamped after the time the sink read) is new, not 584 million years old. Before, the
/// first set after 6 of 7 reopens said 0 A with "system error".
struct CANSinkAgeTests {
    @Test func aStateStampedAfterTheSinksClockReadIsFresh() throws {
        #expect(UInt64(1000).saturatingAge(since: 1150) == 0)
        #expect(UInt64(1150).saturatingAge(since: 1000) == 150)

        let site = try ConfigLoader.parse(yaml: """
            buses: [{id: lab, type: sim}]
            packs: [{id: p1, driver: basen, bus: lab, address: 1}]
            banks: [{id: main, packs: [p1], stale_after: 2s, limits: {charge_voltage: 55.2, charge_current: 100, discharge_current: 150}}]
            """, file: "site.yaml")
        let bank = site.banks[0]
        // An interface that does not exist: the sink's thread only fails to open it.
        let sink = try CANSink(settings: CANSinkSettings(bank: "main", link: .interface("nosuchcan9"), dischargeVoltage: 48),
                               bank: bank, logger: Logger(label: "test"))
        defer { sink.close() }
        var r = Reading(pack: "p1", driver: "basen", time: Date())
        r.voltage = 53
        r.current = 10
        r.cells = Array(repeating: 3.31, count: 16)
        r.temperatures = [20]
        r.soc = 60
        let pack = PackStatus(id: "p1", driver: "basen", bus: "lab", address: "1", online: true, reading: r, lastError: nil,
                              lastPollTime: Date(), counters: PackCounters(), sequence: 1)
        let status = BankStatus.aggregate(bank, statuses: [pack])
        #expect(status.limits.chargeCurrent == 100)
        let before = MonotonicClock.nowMs()
        sink.write(Snapshot(site: "t", time: Date(), packs: [pack], banks: [status]))
        // The sink thread read its clock 150 ms before the state arrived (an open in between).
        let state = sink.currentState(nowMs: before &- 150)
        #expect(!state.failsafe && state.chargeCurrent == 100 && state.dischargeCurrent == 150)
        // A state older than stale_after + a period is the failsafe.
        let old = sink.currentState(nowMs: before + 3100)
        #expect(old.failsafe && old.systemError && old.chargeCurrent == 0 && old.dischargeCurrent == 0)
    }
}
