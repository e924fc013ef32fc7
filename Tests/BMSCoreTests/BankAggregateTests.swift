import Foundation
import Testing

@testable import BMSCore

/// The bank aggregate runs once per reading of a member, in one pass over the packs. Its
/// result must be what the definitions say (DESIGN.md, "banks"), written here as the plain
/// formulas over lists of values, for any mix of missing fields and offline packs.
@Suite struct BankAggregateTests {
    /// The definitions, value list by value list.
    func expected(_ statuses: [PackStatus]) -> BankStatus {
        let online = statuses.filter(\.online)
        let readings = online.compactMap(\.reading)
        func sum(_ values: [Double?]) -> Double? {
            let known = values.compactMap { $0 }
            return known.isEmpty ? nil : (known.reduce(0, +) * 1000).rounded() / 1000
        }
        var bank = BankStatus(id: "k", unitId: 3, packs: statuses.map(\.id), onlinePacks: online.map(\.id), alarms: [])
        let volts = readings.compactMap(\.voltage)
        bank.voltage = volts.isEmpty ? nil : (volts.reduce(0, +) / Double(volts.count) * 1000).rounded() / 1000
        bank.voltageMin = volts.min()
        bank.voltageMax = volts.max()
        bank.current = sum(readings.map(\.current))
        bank.power = sum(readings.map { r in r.power ?? r.voltage.flatMap { v in r.current.map { v * $0 } } })
        bank.remainingCapacity = sum(readings.map(\.remainingCapacity))
        bank.fullCapacity = sum(readings.map(\.fullCapacity))
        bank.cycles = readings.compactMap(\.cycles).max()
        let cells = readings.flatMap(\.cells)
        if !cells.isEmpty { bank.cellAvg = (cells.reduce(0, +) / Double(cells.count) * 10000).rounded() / 10000 }
        let weighted = readings.compactMap { r in r.soc.map { ($0, r.fullCapacity ?? 1) } }
        let weight = weighted.map(\.1).reduce(0, +)
        if weight > 0 { bank.soc = (weighted.map { $0.0 * $0.1 }.reduce(0, +) / weight * 100).rounded() / 100 }
        bank.soh = readings.compactMap(\.soh).min()
        for r in readings {
            if let lo = r.cellMin, lo < (bank.cellMin?.volts ?? .infinity) { bank.cellMin = (r.pack, lo) }
            if let hi = r.cellMax, hi > (bank.cellMax?.volts ?? -.infinity) { bank.cellMax = (r.pack, hi) }
            if let lo = r.temperatures.min() { bank.temperatureMin = min(bank.temperatureMin ?? lo, lo) }
            if let hi = r.temperatures.max() { bank.temperatureMax = max(bank.temperatureMax ?? hi, hi) }
        }
        var alarms = Set(readings.flatMap(\.alarms))
        if online.count < statuses.count { alarms.insert(.communication) }
        bank.alarms = alarms.sorted()
        return bank
    }

    func randomStatus(_ i: Int, using rng: inout some RandomNumberGenerator) -> PackStatus {
        func maybe(_ range: ClosedRange<Double>) -> Double? {
            Int.random(in: 0..<5, using: &rng) == 0 ? nil : (Double.random(in: range, using: &rng) * 1000).rounded() / 1000
        }
        var r = Reading(pack: "p\(i)", driver: "basen", time: Date(timeIntervalSince1970: 1_800_000_000))
        r.voltage = maybe(40...58)
        r.current = maybe(-100...100)
        r.power = Bool.random(using: &rng) ? nil : maybe(-5000...5000)
        r.soc = maybe(0...100)
        r.soh = maybe(60...100)
        r.remainingCapacity = maybe(0...280)
        r.fullCapacity = maybe(50...280)
        r.cycles = maybe(0...5000).map { $0.rounded() }
        r.cells = (0..<Int.random(in: 0...16, using: &rng)).map { _ in (Double.random(in: 2.8...3.65, using: &rng) * 1000).rounded() / 1000 }
        r.temperatures = (0..<Int.random(in: 0...4, using: &rng)).map { _ in Double.random(in: -10...60, using: &rng).rounded() }
        r.alarms = CanonicalAlarm.packAlarms.filter { _ in Int.random(in: 0..<12, using: &rng) == 0 }
        let online = Int.random(in: 0..<4, using: &rng) != 0
        return PackStatus(id: "p\(i)", driver: "basen", bus: "b", address: "\(i)", online: online,
                          reading: Int.random(in: 0..<8, using: &rng) == 0 ? nil : r, lastError: nil, lastPollTime: nil,
                          counters: PackCounters(), sequence: 1)
    }

    @Test func onePassEqualsTheDefinitions() {
        var rng = SystemRandomNumberGenerator()
        for round in 0..<2000 {
            let statuses = (0..<Int.random(in: 0...12, using: &rng)).map { randomStatus($0, using: &rng) }
            let got = BankStatus.aggregate(id: "k", unitId: 3, statuses: statuses)
            let want = expected(statuses)
            let message = Comment(rawValue: "round \(round)")
            #expect(got.packs == want.packs && got.onlinePacks == want.onlinePacks && got.state == want.state, message)
            #expect(got.voltage == want.voltage && got.voltageMin == want.voltageMin && got.voltageMax == want.voltageMax, message)
            #expect(got.current == want.current && got.power == want.power, message)
            #expect(got.remainingCapacity == want.remainingCapacity && got.fullCapacity == want.fullCapacity, message)
            #expect(got.soc == want.soc && got.soh == want.soh && got.cycles == want.cycles && got.cellAvg == want.cellAvg, message)
            #expect(got.cellMin?.pack == want.cellMin?.pack && got.cellMin?.volts == want.cellMin?.volts, message)
            #expect(got.cellMax?.pack == want.cellMax?.pack && got.cellMax?.volts == want.cellMax?.volts, message)
            #expect(got.temperatureMin == want.temperatureMin && got.temperatureMax == want.temperatureMax, message)
            #expect(got.alarms == want.alarms, message)
        }
    }

    @Test func aBankOfOnePackIsThatPack() {
        var r = Reading(pack: "a", driver: "basen", time: Date())
        r.voltage = 53.2
        r.current = -10
        r.soc = 64.5
        r.cells = [3.3, 3.35, 3.31]
        r.temperatures = [24, 26]
        r.alarms = [.lowSoc]
        let a = PackStatus(id: "a", driver: "basen", bus: "b", address: "1", online: true, reading: r, lastError: nil,
                           lastPollTime: nil, counters: PackCounters(), sequence: 1)
        let bank = BankStatus.aggregate(id: "k", statuses: [a])
        #expect(bank.voltage == 53.2 && bank.current == -10 && bank.power == -532 && bank.soc == 64.5)
        #expect(bank.cellMin?.volts == 3.3 && bank.cellMax?.volts == 3.35 && bank.cellAvg == 3.32)
        #expect(bank.temperatureMin == 24 && bank.temperatureMax == 26 && bank.alarms == [.lowSoc] && bank.state == .ok)
    }
}
