import BMSGateTestSupport
import Foundation
import Testing

@testable import BMSGate

@Suite struct SiteTests {
    func config() throws -> SiteConfig {
        try ConfigLoader.parse(yaml: """
            buses: [{id: lab, type: sim}]
            packs:
              - {id: a, driver: basen, bus: lab, address: 1}
              - {id: b, driver: basen, bus: lab, address: 2}
            banks: [{id: main, packs: [a, b], stale_after: 10s}]
            """, file: "t.yaml")
    }

    func reading(_ pack: String, soc: Double, capacity: Double, current: Double, cells: [Double]) -> Reading {
        var r = Reading(pack: pack, driver: "basen", time: Date(timeIntervalSince1970: 0))
        r.voltage = cells.reduce(0, +)
        r.current = current
        r.soc = soc
        r.soh = soc > 50 ? 100 : 90
        r.fullCapacity = capacity
        r.cells = cells
        r.temperatures = [20, 25]
        return r
    }

    @Test func freshnessFollowsTheMonotonicClockNotTheWallClock() throws {
        let clock = ManualClock()
        let site = Site(config: try config(), clock: clock)
        let r = reading("a", soc: 50, capacity: 100, current: 0, cells: [3.3])
        // The wall clock steps back a year (NTP on a board without RTC): still fresh.
        site.record(pack: "a", result: .success(r), counters: PackCounters(), at: Date().addingTimeInterval(-365 * 86400))
        clock.advance(.seconds(9))
        #expect(site.publish(at: Date().addingTimeInterval(-365 * 86400)).packs[0].online)
        // 10 s of monotonic time later the pack is stale, whatever the wall clock says.
        clock.advance(.seconds(2))
        #expect(!site.publish(at: Date().addingTimeInterval(-365 * 86400)).packs[0].online)
        #expect(site.publish().banks[0].limits.chargeCurrent == 0)
    }

    /// A pack's configured limits reach its bank's limits (listed in the bank's order, not
    /// the file's), and a pack without any gets the bank maximum over the number of packs.
    @Test func packLimitsFromTheFileCapTheBank() throws {
        let site = Site(config: try ConfigLoader.parse(yaml: """
            buses: [{id: lab, type: sim}]
            packs:
              - {id: a, driver: basen, bus: lab, address: 1}
              - {id: b, driver: basen, bus: lab, address: 2, limits: {charge_current: 20, discharge_current: 35}}
            banks: [{id: main, packs: [b, a], stale_after: 10s, limits: {charge_current: 100, discharge_current: 120}}]
            """, file: "t.yaml"), clock: ManualClock())
        for id in ["a", "b"] {
            site.record(pack: id, result: .success(reading(id, soc: 50, capacity: 100, current: 0, cells: [3.3, 3.3])),
                        counters: PackCounters(), at: Date())
        }
        let limits = site.publish().banks[0].limits
        #expect(limits.chargeCurrent == 70)  // b: 20, a: 100 / 2
        #expect(limits.dischargeCurrent == 95)  // b: 35, a: 120 / 2
    }

    @Test func freshnessAndBankAggregation() throws {
        let clock = ManualClock()
        let site = Site(config: try config(), clock: clock)
        var counters = PackCounters()
        counters.polls = 1
        counters.ok = 1
        site.record(pack: "a", result: .success(reading("a", soc: 80, capacity: 100, current: 10, cells: [3.3, 3.4])),
                    counters: counters, at: Date())
        site.record(pack: "b", result: .success(reading("b", soc: 40, capacity: 300, current: -4, cells: [3.2, 3.35])),
                    counters: counters, at: Date())
        var snap = site.publish()
        #expect(snap.packs.allSatisfy { $0.online })
        let bank = snap.banks[0]
        #expect(bank.state == .ok)
        #expect(bank.current == 6)
        #expect(bank.soc == 50)  // (80*100 + 40*300) / 400
        #expect(bank.soh == 90)
        #expect(bank.fullCapacity == 400)
        #expect(bank.cellMin?.pack == "b" && bank.cellMin?.volts == 3.2)
        #expect(bank.cellMax?.pack == "a" && bank.cellMax?.volts == 3.4)
        #expect(bank.alarms == [])

        clock.advance(.milliseconds(10_001))  // a: no fresh data past stale_after
        site.record(pack: "b", result: .success(reading("b", soc: 40, capacity: 300, current: -4, cells: [3.2, 3.35])),
                    counters: counters, at: Date())
        snap = site.publish()
        #expect(snap.packs[0].online == false)
        #expect(snap.packs[1].online)
        #expect(snap.banks[0].state == .degraded)
        #expect(snap.banks[0].alarms == [.communication])
        #expect(snap.banks[0].current == -4)
        clock.advance(.milliseconds(20_000))
        #expect(site.publish().banks[0].state == .offline)
    }

    @Test func failedPollLineCarriesTheErrorAndCounters() throws {
        let site = Site(config: try config())
        var counters = PackCounters()
        counters.polls = 2
        counters.timeouts = 2
        site.record(pack: "a", result: .failure(PollFailure(.timeout, "no answer within 500 ms")), counters: counters, at: Date())
        let line = site.publish().packs[0].json.render()
        #expect(line.contains("\"online\":false"))
        #expect(line.contains("\"error\":\"no answer within 500 ms\""))
        #expect(line.contains("\"stats\":{\"polls\":2,\"ok\":0,\"timeouts\":2,\"checksum_errors\":0,\"errors\":0,\"reopens\":0}"))
    }

    @Test func readingJSONOmitsUnknownFieldsAndKeepsOrder() {
        var r = Reading(pack: "p1", driver: "basen", time: Date(timeIntervalSince1970: 1_790_000_000.5))
        r.voltage = 54.29
        r.cells = [3.396, 3.391]
        r.balancing = [2]
        r.extras = [("error_bitmask", .number(0)), ("status_text", .text("Idle"))]
        let json = r.json(online: true).render()
        #expect(json == #"{"pack":"p1","driver":"basen","time":"2026-09-21T14:13:20.500Z","online":true,"voltage":54.29,"cells":[3.396,3.391],"cell_min":3.391,"cell_max":3.396,"cell_avg":3.3935,"cell_delta":0.005,"balancing":[2],"alarms":[],"status":[],"extras":{"error_bitmask":0,"status_text":"Idle"}}"#)
    }
}
