import Foundation
import Testing

@testable import BMSGate

/// One vocabulary: the field catalog names every measurement, and the JSON, Prometheus and
/// the Modbus simple map's document use its names and units.
@Suite struct VocabularyTests {
    static func reading() -> Reading {
        var r = Reading(pack: "p1", driver: "basen", time: Date(timeIntervalSince1970: 1_800_000_000))
        r.voltage = 53.1; r.current = -12.5; r.power = -663.75; r.soc = 61; r.soh = 98; r.remainingCapacity = 170.8
        r.fullCapacity = 280; r.cycles = 41; r.cells = [3.31, 3.32, 3.33, 3.30]; r.temperatures = [21, 22]
        r.mosTemperature = 30; r.ambientTemperature = 19
        return r
    }

    static func status(_ r: Reading) -> PackStatus {
        PackStatus(id: r.pack, driver: r.driver, bus: "lab", address: "1", online: true, reading: r, lastError: nil,
                   lastPollTime: r.time, counters: PackCounters(), sequence: 1)
    }

    @Test func theReadingJSONsNumbersAreTheCatalogsFields() throws {
        let r = Self.reading()
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.jsonText(online: true).utf8)) as? [String: Any])
        for (field, value) in FieldCatalog.pack {
            #expect(json[field.name] as? Double == value(r), "\(field.name)")
        }
        // Numbers, not the JSON's true/false (which Foundation also hands back as NSNumber).
        let text = r.jsonText(online: true)
        let numbers = json.keys.filter { key in
            guard json[key] is NSNumber, let r = text.range(of: "\"\(key)\":") else { return false }
            return !text[r.upperBound...].hasPrefix("true") && !text[r.upperBound...].hasPrefix("false")
        }
        let catalogued = Set(FieldCatalog.pack.map(\.field.name))
        #expect(Set(numbers).subtracting(catalogued).isEmpty, "numbers the catalog does not name: \(Set(numbers).subtracting(catalogued))")
    }

    @Test func theBankJSONsNumbersAreTheCatalogsFields() throws {
        var config = BankConfig(id: "main", packs: ["p1"], unitId: 1, location: SourceLocation(file: "t", line: 1, column: 1))
        config.limits.chargeVoltage = 55.2
        config.limits.chargeCurrent = 100
        config.limits.dischargeCurrent = 100
        let bank = BankStatus.aggregate(config, statuses: [Self.status(Self.reading())])
        guard case .object(let o) = bank.json else { Issue.record("the bank JSON is not an object"); return }
        let numbers = Set(o.pairs.compactMap { key, value -> String? in
            if case .number = value { return key } else { return nil }
        })
        let catalogued = Set(FieldCatalog.bank.map(\.field.name))
        #expect(numbers.subtracting(catalogued) == ["unit_id"], "only the unit id is not a measurement: \(numbers.subtracting(catalogued))")
        for (field, value) in FieldCatalog.bank {
            if case .number(let n)? = o[field.name] { #expect(n == value(bank), "\(field.name)") } else { Issue.record("\(field.name) missing") }
        }
        guard case .object(let limits)? = o["limits"] else { Issue.record("no limits"); return }
        for (field, value) in FieldCatalog.limits {
            if case .number(let n)? = limits[field.name] { #expect(n == value(bank.command.limits), "\(field.name)") } else { Issue.record("limits.\(field.name) missing") }
        }
    }

    /// A simple-map register named like a catalog field has the catalog's unit (and the
    /// limits are the catalog's names with `_limit`).
    @Test func theSimpleMapUsesTheCatalogsNamesAndUnits() {
        var tied = 0
        func check(_ name: String, _ unit: String, _ fields: [Field]) {
            let key = name.hasSuffix("_limit") ? String(name.dropLast(6)) : name
            guard let field = fields.first(where: { $0.name == key }) else { return }
            tied += 1
            #expect(unit == (field.unit?.rawValue ?? ""), "\(name): \(unit) in the map, \(field.unit?.rawValue ?? "none") in the catalog")
        }
        for f in SimpleRegisterMap.bankFields { check(f.name, f.unit, FieldCatalog.bank.map(\.field) + FieldCatalog.limits.map(\.field)) }
        for f in SimpleRegisterMap.packFields { check(f.name, f.unit, FieldCatalog.pack.map(\.field)) }
        #expect(tied >= 30, "\(tied) registers tied to the catalog")
    }

    @Test func prometheusNamesComeFromTheCatalog() {
        let text = PackMetrics.text([Self.status(Self.reading())])
        for (field, _) in FieldCatalog.pack { #expect(text.contains("bmsgate_" + field.metric), "\(field.metric)") }
    }
}
