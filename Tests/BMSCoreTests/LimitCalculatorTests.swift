import Foundation
import Testing

@testable import BMSCore

/// Every rule of LimitCalculator, each on its own, then together.
@Suite struct LimitCalculatorTests {
    func pack(_ id: String, online: Bool = true, cells: [Double] = [3.30, 3.32], temps: [Double] = [25],
              alarms: [String] = [], charge: Bool? = true, discharge: Bool? = true, extras: [(String, Double)] = [],
              limits: PackLimitsConfig = PackLimitsConfig()) -> PackLimitInput {
        var r = Reading(pack: id, driver: "basen", time: Date())
        r.cells = cells
        r.temperatures = temps
        r.alarms = alarms.map { CanonicalAlarm(rawValue: $0)! }  // a misspelt name traps the test
        r.chargeEnabled = charge
        r.dischargeEnabled = discharge
        r.extras = extras.map { ($0.0, .number($0.1)) }
        return PackLimitInput(id: id, online: online, reading: r, limits: limits)
    }

    func bank(charge: Double? = 100, discharge: Double? = 150) -> BankLimitsConfig {
        var b = BankLimitsConfig()
        b.chargeCurrent = charge
        b.dischargeCurrent = discharge
        return b
    }

    @Test func bankMaximaAreSharedWhenPacksHaveNoOwn() {
        let l = LimitCalculator.compute(bank: bank(), packs: [pack("a"), pack("b")], bankSoc: 50)
        #expect(l.chargeCurrent == 100)
        #expect(l.dischargeCurrent == 150)
        #expect(l.reasons.isEmpty)
        #expect(l.reasonMask == 0)
    }

    @Test func packMaximaSumAndTheBankCaps() {
        var small = PackLimitsConfig()
        small.chargeCurrent = 30
        small.dischargeCurrent = 40
        var big = PackLimitsConfig()
        big.chargeCurrent = 90
        big.dischargeCurrent = 200
        let l = LimitCalculator.compute(bank: bank(), packs: [pack("a", limits: small), pack("b", limits: big)], bankSoc: 50)
        #expect(l.chargeCurrent == 100)  // min(100, 30 + 90)
        #expect(l.dischargeCurrent == 150)  // min(150, 40 + 200)
        let uncapped = LimitCalculator.compute(bank: bank(charge: nil, discharge: nil),
                                               packs: [pack("a", limits: small), pack("b", limits: big)], bankSoc: 50)
        #expect(uncapped.chargeCurrent == 120)
        #expect(uncapped.dischargeCurrent == 240)
    }

    @Test func bmsReportedLimitsLowerTheConfiguredOnes() {
        var own = PackLimitsConfig()
        own.chargeCurrent = 50
        let l = LimitCalculator.compute(bank: bank(charge: nil, discharge: nil),
                                        packs: [pack("a", extras: [("charge_current_limit", 20), ("discharge_current_limit", 35),
                                                                   ("charge_voltage_limit", 28.4)], limits: own)],
                                        bankSoc: 50)
        #expect(l.chargeCurrent == 20)
        #expect(l.dischargeCurrent == 35)
        #expect(l.chargeVoltage == 28.4)
    }

    @Test func nothingConfiguredMeansZeroAndSaysWhy() {
        let l = LimitCalculator.compute(bank: bank(charge: nil, discharge: nil), packs: [pack("a")], bankSoc: 50)
        #expect(l.chargeCurrent == 0)
        #expect(l.dischargeCurrent == 0)
        #expect(l.limited(by: .notConfigured, .charge))
        #expect(l.limited(by: .notConfigured, .discharge))
        #expect(l.reasons[0].text.contains("no charge_current limit for a"))
    }

    @Test func failsafeZeroStopsBothWaysWhenAPackIsOffline() {
        let l = LimitCalculator.compute(bank: bank(), packs: [pack("a"), pack("b", online: false)], bankSoc: 50)
        #expect(l.chargeCurrent == 0)
        #expect(l.dischargeCurrent == 0)
        #expect(l.reasons.map(\.rule) == [.packOffline, .packOffline])
        #expect(l.reasons[0].detail == "b offline (failsafe: zero)")
        #expect(l.reasonMask == 1 | 1 << 16)
    }

    @Test func failsafeShareKeepsTheOnlinePacksShare() {
        var b = bank()
        b.failsafe = .share
        let l = LimitCalculator.compute(bank: b, packs: [pack("a"), pack("b", online: false)], bankSoc: 50)
        #expect(l.chargeCurrent == 50)
        #expect(l.dischargeCurrent == 75)
        #expect(l.limited(by: .packOffline, .charge))
    }

    @Test func noFreshDataAtAllIsZeroInEveryMode() {
        for mode in [Failsafe.zero, .share] {
            var b = bank()
            b.failsafe = mode
            let l = LimitCalculator.compute(bank: b, packs: [pack("a", online: false), pack("b", online: false)], bankSoc: nil)
            #expect(l.chargeCurrent == 0 && l.dischargeCurrent == 0)
            #expect(l.limited(by: .noData, .charge) && l.limited(by: .noData, .discharge))
        }
    }

    @Test func cellTaperIsLinearFromStartToMax() {
        var b = bank()
        b.cellVoltageMax = 3.60
        b.taperStart = 3.40
        func charge(_ highest: Double) -> Double {
            LimitCalculator.compute(bank: b, packs: [pack("a", cells: [3.30, highest])], bankSoc: 50).chargeCurrent
        }
        #expect(charge(3.39) == 100)
        #expect(charge(3.40) == 100)
        #expect(charge(3.45) == 75)
        #expect(charge(3.50) == 50)
        #expect(charge(3.59) == 5)
        #expect(charge(3.60) == 0)
        #expect(charge(3.70) == 0)
        let l = LimitCalculator.compute(bank: b, packs: [pack("a", cells: [3.30, 3.50])], bankSoc: 50)
        #expect(l.dischargeCurrent == 150)  // taper is a charge rule
        #expect(l.reasons.map(\.text) == ["charge: cell_taper (highest cell 3.500 V in a, 0 A at 3.600 V)"])
        // Without taper_start the cell maximum is a step.
        b.taperStart = nil
        #expect(charge(3.59) == 100)
        #expect(charge(3.60) == 0)
    }

    @Test func chargeVoltageIsTheLowestOfConfiguredReportedAndCellMaximum() {
        var b = bank()
        b.chargeVoltage = 58
        b.cellVoltageMax = 3.55
        let l = LimitCalculator.compute(bank: b, packs: [pack("a", cells: Array(repeating: 3.3, count: 16))], bankSoc: 50)
        #expect(l.chargeVoltage == 56.8)
        b.chargeVoltage = 55.2
        #expect(LimitCalculator.compute(bank: b, packs: [pack("a", cells: Array(repeating: 3.3, count: 16))], bankSoc: 50).chargeVoltage == 55.2)
        #expect(LimitCalculator.compute(bank: bank(), packs: [pack("a")], bankSoc: 50).chargeVoltage == nil)
    }

    @Test func temperatureDeratesOutsideTheWindowAndStopsAtTheLimits() {
        let w = TemperatureWindow(min: 0, low: 10, high: 40, max: 50)
        #expect(LimitCalculator.temperatureFactor(-1, w) == 0)
        #expect(LimitCalculator.temperatureFactor(0, w) == 0)
        #expect(LimitCalculator.temperatureFactor(5, w) == 0.5)
        #expect(LimitCalculator.temperatureFactor(10, w) == 1)
        #expect(LimitCalculator.temperatureFactor(25, w) == 1)
        #expect(LimitCalculator.temperatureFactor(45, w) == 0.5)
        #expect(LimitCalculator.temperatureFactor(50, w) == 0)
        var b = bank()
        b.chargeTemperature = w
        let cold = LimitCalculator.compute(bank: b, packs: [pack("a", temps: [5, 20]), pack("b", temps: [22])], bankSoc: 50)
        #expect(cold.chargeCurrent == 50)
        #expect(cold.dischargeCurrent == 150)  // no discharge window configured
        #expect(cold.reasons.map(\.text) == ["charge: temperature (coldest probe 5.0 °C in a, full current from 10.0 °C)"])
        let hot = LimitCalculator.compute(bank: b, packs: [pack("a", temps: [20]), pack("b", temps: [47.5])], bankSoc: 50)
        #expect(hot.chargeCurrent == 25)
        let frozen = LimitCalculator.compute(bank: b, packs: [pack("a", temps: [-3])], bankSoc: 50)
        #expect(frozen.chargeCurrent == 0)
        b.dischargeTemperature = TemperatureWindow(min: -20, low: -10, high: 50, max: 60)
        let both = LimitCalculator.compute(bank: b, packs: [pack("a", temps: [-15])], bankSoc: 50)
        #expect(both.chargeCurrent == 0)
        #expect(both.dischargeCurrent == 75)
    }

    @Test func unknownTemperatureWithAWindowIsZero() {
        var b = bank()
        b.chargeTemperature = TemperatureWindow(min: 0, low: 5, high: 40, max: 50)
        let l = LimitCalculator.compute(bank: b, packs: [pack("a", temps: [])], bankSoc: 50)
        #expect(l.chargeCurrent == 0)
        #expect(l.dischargeCurrent == 150)
        #expect(l.limited(by: .temperatureUnknown, .charge))
    }

    @Test func reserveStopsDischargeOnly() {
        var b = bank()
        b.reserveSoc = 10
        #expect(LimitCalculator.compute(bank: b, packs: [pack("a")], bankSoc: 10.5).dischargeCurrent == 150)
        let at = LimitCalculator.compute(bank: b, packs: [pack("a")], bankSoc: 10)
        #expect(at.dischargeCurrent == 0)
        #expect(at.chargeCurrent == 100)
        #expect(at.reasons.map(\.text) == ["discharge: reserve_soc (bank SoC 10.0 % at or below the reserve 10.0 %)"])
        let unknown = LimitCalculator.compute(bank: b, packs: [pack("a")], bankSoc: nil)
        #expect(unknown.dischargeCurrent == 0)
    }

    @Test func alarmsStopTheDirectionTheyConcern() {
        func limits(_ alarm: String) -> (Double, Double) {
            let l = LimitCalculator.compute(bank: bank(), packs: [pack("a"), pack("b", alarms: [alarm])], bankSoc: 50)
            return (l.chargeCurrent, l.dischargeCurrent)
        }
        for alarm in ["cell_overvoltage", "pack_overvoltage", "charge_overcurrent", "charge_overtemperature", "charge_undertemperature"] {
            #expect(limits(alarm) == (0, 150), "\(alarm)")
        }
        for alarm in ["cell_undervoltage", "pack_undervoltage", "discharge_overcurrent", "discharge_overtemperature",
                      "discharge_undertemperature", "low_soc"] {
            #expect(limits(alarm) == (100, 0), "\(alarm)")
        }
        for alarm in ["short_circuit", "mos_overtemperature", "sensor_fault", "internal_fault"] {
            #expect(limits(alarm) == (0, 0), "\(alarm)")
        }
        #expect(limits("cell_imbalance") == (100, 150))
        let l = LimitCalculator.compute(bank: bank(), packs: [pack("a", alarms: ["cell_overvoltage"])], bankSoc: 50)
        #expect(l.reasons.map(\.text) == ["charge: alarm (cell_overvoltage (a))"])
    }

    @Test func aPackWithADirectionSwitchedOffCountsZeroThatWay() {
        let l = LimitCalculator.compute(bank: bank(), packs: [pack("a", charge: false), pack("b")], bankSoc: 50)
        #expect(l.chargeCurrent == 50)
        #expect(l.dischargeCurrent == 150)
        #expect(l.limited(by: .bmsDisabled, .charge))
    }

    @Test func rulesCombineByTheLowestFactorAndRoundDown() {
        var b = bank(charge: 100, discharge: 100)
        b.cellVoltageMax = 3.60
        b.taperStart = 3.40
        b.chargeTemperature = TemperatureWindow(min: 0, low: 10, high: 40, max: 50)
        // Taper 0.5 (3.50 V) x temperature 0.3 (3 °C) = 15 A.
        let l = LimitCalculator.compute(bank: b, packs: [pack("a", cells: [3.50], temps: [3])], bankSoc: 50)
        #expect(l.chargeCurrent == 15)
        #expect(l.reasons.map(\.rule) == [.cellTaper, .temperature])
        // 100 x (3.60 - 3.5333) / 0.2 = 33.35 -> 33.3
        #expect(LimitCalculator.compute(bank: b, packs: [pack("a", cells: [3.5333], temps: [20])], bankSoc: 50).chargeCurrent == 33.3)
    }
}

/// One device configured twice (hardening issue): two online packs of a bank reporting the
/// same serial number must not double the bank's limits.
@Suite struct DuplicatePackTests {
    func pack(_ id: String, serial: String) -> PackLimitInput {
        var r = Reading(pack: id, driver: "basen", time: Date())
        r.cells = [3.3, 3.3]
        r.identity.serial = serial
        r.extras = [("charge_current_limit", .number(50)), ("discharge_current_limit", .number(80))]
        return PackLimitInput(id: id, online: true, reading: r)
    }

    @Test func theSameSerialTwiceStopsTheBank() {
        var config = BankLimitsConfig()
        config.chargeCurrent = 200
        config.dischargeCurrent = 200
        let twice = LimitCalculator.compute(bank: config, packs: [pack("p1", serial: "SN-42"), pack("p1-again", serial: "SN-42 ")], bankSoc: 50)
        #expect(twice.chargeCurrent == 0 && twice.dischargeCurrent == 0)
        #expect(twice.reasons.map(\.text) == ["charge: duplicate_pack (p1 and p1-again report serial 'SN-42': one device counted twice)",
                                              "discharge: duplicate_pack (p1 and p1-again report serial 'SN-42': one device counted twice)"])
        let distinct = LimitCalculator.compute(bank: config, packs: [pack("p1", serial: "SN-42"), pack("p2", serial: "SN-43")], bankSoc: 50)
        #expect(distinct.chargeCurrent == 100 && distinct.dischargeCurrent == 160)
        // Packs that report no serial are never taken for one another.
        let unknown = LimitCalculator.compute(bank: config, packs: [pack("p1", serial: ""), pack("p2", serial: "")], bankSoc: 50)
        #expect(unknown.chargeCurrent == 100)
    }

    @Test func duplicateSerialsListEachSerialOnceWithItsPacksInOrder() {
        let packs = [pack("a", serial: "X1"), pack("b", serial: "Y"), pack("c", serial: " X1"), pack("d", serial: ""),
                     pack("e", serial: "Y"), pack("f", serial: "X1\t"), pack("g", serial: ""), pack("h", serial: "Z")]
        let found = LimitCalculator.duplicateSerials(packs.map { ($0.id, $0.reading) })
        #expect(found.map(\.serial) == ["X1", "Y"])
        #expect(found.map(\.packs) == [["a", "c", "f"], ["b", "e"]])
        #expect(LimitCalculator.duplicateSerials(packs.suffix(3).map { ($0.id, $0.reading) }).isEmpty)
        #expect(LimitCalculator.duplicateSerials([("x", nil), ("y", nil)]).isEmpty)
    }

    @Test func reportedLimitsAreTheFirstNumberOfEachNameAndFollowChanges() {
        var r = Reading(pack: "p", driver: "d", time: Date())
        #expect(r.reportedLimits == ReportedLimits(chargeCurrent: nil, dischargeCurrent: nil, chargeVoltage: nil))
        r.extras = [("x", .number(1)), ("charge_current_limit", .number(40)), ("charge_current_limit", .number(99)),
                    ("discharge_current_limit", .text("n/a")), ("discharge_current_limit", .number(50)),
                    ("charge_voltage_limit", .number(.nan))]
        #expect(r.reportedLimits.chargeCurrent == 40)
        #expect(r.reportedLimits.dischargeCurrent == nil)  // the first of the name is text, as extra() finds it
        #expect(r.reportedLimits.chargeVoltage == nil)
        let copy = r
        r.extras.append(("charge_voltage_limit", .number(1)))
        r.extras[5].value = .number(56.8)
        #expect(r.reportedLimits.chargeVoltage == 56.8 && copy.reportedLimits.chargeVoltage == nil)
        for (name, limit) in [("charge_current_limit", r.reportedLimits.chargeCurrent), ("charge_voltage_limit", r.reportedLimits.chargeVoltage)] {
            if case .number(let v)? = r.extra(name) { #expect(limit == v) }
        }
    }

    @Test func theBankRaisesDuplicatePack() {
        let statuses = [pack("a", serial: "X1"), pack("b", serial: "X1")].map {
            PackStatus(id: $0.id, driver: "basen", bus: "b", address: "1", online: true, reading: $0.reading, lastError: nil,
                       lastPollTime: nil, counters: PackCounters(), sequence: 1)
        }
        let bank = BankStatus.aggregate(BankConfig(id: "k", packs: ["a", "b"], unitId: 1, location: SourceLocation(file: "s", line: 1, column: 1)),
                                        statuses: statuses)
        #expect(bank.alarms == [.duplicatePack])
        #expect(bank.limits.chargeCurrent == 0 && bank.limits.dischargeCurrent == 0)
    }
}
