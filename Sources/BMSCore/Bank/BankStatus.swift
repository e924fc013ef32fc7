/// A bank's aggregate view (DESIGN.md): what an inverter behind these packs sees.
public struct BankStatus: Sendable {
    public var id: String
    /// Modbus unit id of the bank.
    public var unitId: Int
    public var packs: [String]
    /// Packs with fresh data.
    public var onlinePacks: [String]
    /// Mean pack voltage of online packs, V.
    public var voltage: Double?
    /// Lowest and highest pack voltage of online packs, V.
    public var voltageMin: Double?
    public var voltageMax: Double?
    /// Summed current, A (+ = charging).
    public var current: Double?
    /// Summed power, W.
    public var power: Double?
    /// Capacity-weighted SoC, %.
    public var soc: Double?
    /// Lowest SoH, %.
    public var soh: Double?
    /// Summed remaining capacity, Ah.
    public var remainingCapacity: Double?
    /// Summed full capacity, Ah.
    public var fullCapacity: Double?
    /// Highest cycle count of the packs.
    public var cycles: Double?
    /// Mean of every cell of the online packs, V.
    public var cellAvg: Double?
    /// Lowest and highest cell across packs, with the pack holding it.
    public var cellMin: (pack: String, volts: Double)?
    public var cellMax: (pack: String, volts: Double)?
    /// Lowest and highest cell/pack probe temperature across packs, °C (MOSFET and
    /// ambient sensors are not battery temperatures).
    public var temperatureMin: Double?
    public var temperatureMax: Double?
    /// OR of the packs' alarms, plus `communication` when a pack is offline.
    public var alarms: [CanonicalAlarm]
    /// What an inverter may do (charge voltage, charge and discharge current limits).
    public var limits = ChargeLimits(chargeVoltage: nil, chargeCurrent: 0, dischargeCurrent: 0, reasons: [])

    /// "ok" (all online), "degraded" (some offline) or "offline" (none online).
    public var state: String {
        onlinePacks.count == packs.count ? "ok" : (onlinePacks.isEmpty ? "offline" : "degraded")
    }

    /// Aggregates `statuses` (the bank's packs, in bank order) and computes the bank's limits.
    public static func aggregate(_ config: BankConfig, statuses: [PackStatus],
                                 packLimits: [String: PackLimitsConfig] = [:]) -> BankStatus {
        aggregate(config, statuses: statuses, limits: statuses.map { packLimits[$0.id] ?? PackLimitsConfig() })
    }

    /// `aggregate` with each pack's configured limits in bank order (resolved once by the
    /// caller instead of looked up by name for every snapshot).
    public static func aggregate(_ config: BankConfig, statuses: [PackStatus], limits: [PackLimitsConfig]) -> BankStatus {
        // One device counted twice matters to the alarms and to the limits: found once.
        let duplicates = LimitCalculator.duplicateSerials(statuses.filter(\.online).map { ($0.id, $0.reading) })
        var bank = aggregate(id: config.id, unitId: config.unitId, statuses: statuses, duplicates: duplicates)
        let inputs = zip(statuses, limits).map {
            PackLimitInput(id: $0.id, online: $0.online, reading: $0.reading, limits: $1)
        }
        bank.limits = LimitCalculator.compute(bank: config.limits, packs: inputs, bankSoc: bank.soc, duplicates: duplicates)
        return bank
    }

    /// Aggregates `statuses` (the bank's packs, in bank order), without limits.
    public static func aggregate(id: String, unitId: Int = 1, statuses: [PackStatus]) -> BankStatus {
        aggregate(id: id, unitId: unitId, statuses: statuses,
                  duplicates: LimitCalculator.duplicateSerials(statuses.filter(\.online).map { ($0.id, $0.reading) }))
    }

    /// `aggregate` with the online packs' duplicate serials already found.
    static func aggregate(id: String, unitId: Int, statuses: [PackStatus],
                          duplicates: [(serial: String, packs: [String])]) -> BankStatus {
        let online = statuses.filter(\.online)
        let readings = online.compactMap(\.reading)
        func sum(_ values: [Double?]) -> Double? {
            let known = values.compactMap { $0 }
            return known.isEmpty ? nil : (known.reduce(0, +) * 1000).rounded() / 1000
        }
        var bank = BankStatus(id: id, unitId: unitId, packs: statuses.map(\.id), onlinePacks: online.map(\.id), alarms: [])
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
        let weighted = readings.compactMap { r -> (Double, Double)? in
            guard let soc = r.soc else { return nil }
            return (soc, r.fullCapacity ?? 1)
        }
        let weight = weighted.map(\.1).reduce(0, +)
        if weight > 0 { bank.soc = (weighted.map { $0.0 * $0.1 }.reduce(0, +) / weight * 100).rounded() / 100 }
        bank.soh = readings.compactMap(\.soh).min()
        for r in readings {
            if let lo = r.cellMin, lo < (bank.cellMin?.volts ?? .infinity) { bank.cellMin = (r.pack, lo) }
            if let hi = r.cellMax, hi > (bank.cellMax?.volts ?? -.infinity) { bank.cellMax = (r.pack, hi) }
            let temps = r.temperatures
            if let lo = temps.min() { bank.temperatureMin = min(bank.temperatureMin ?? lo, lo) }
            if let hi = temps.max() { bank.temperatureMax = max(bank.temperatureMax ?? hi, hi) }
        }
        var alarms = Set(readings.flatMap(\.alarms))
        if online.count < statuses.count { alarms.insert(.communication) }
        if !duplicates.isEmpty { alarms.insert(.duplicatePack) }
        bank.alarms = alarms.sorted()
        return bank
    }

    /// As JSON.
    public var json: JSONValue {
        var o = JSONObject()
        o["bank"] = .string(id)
        o["unit_id"] = .number(Double(unitId))
        o["state"] = .string(state)
        o["packs"] = .array(packs.map(JSONValue.string))
        o["online_packs"] = .array(onlinePacks.map(JSONValue.string))
        o["voltage"] = voltage.map(JSONValue.number)
        o["voltage_min"] = voltageMin.map(JSONValue.number)
        o["voltage_max"] = voltageMax.map(JSONValue.number)
        o["current"] = current.map(JSONValue.number)
        o["power"] = power.map(JSONValue.number)
        o["soc"] = soc.map(JSONValue.number)
        o["soh"] = soh.map(JSONValue.number)
        o["remaining_capacity"] = remainingCapacity.map(JSONValue.number)
        o["full_capacity"] = fullCapacity.map(JSONValue.number)
        o["cycles"] = cycles.map(JSONValue.number)
        o["cell_avg"] = cellAvg.map(JSONValue.number)
        if let c = cellMin { o["cell_min"] = .number(c.volts); o["cell_min_pack"] = .string(c.pack) }
        if let c = cellMax { o["cell_max"] = .number(c.volts); o["cell_max_pack"] = .string(c.pack) }
        o["temperature_min"] = temperatureMin.map(JSONValue.number)
        o["temperature_max"] = temperatureMax.map(JSONValue.number)
        o["alarms"] = .array(alarms.map { .string($0.rawValue) })
        var l = JSONObject()
        l["charge_voltage"] = limits.chargeVoltage.map(JSONValue.number)
        l["charge_current"] = .number(limits.chargeCurrent)
        l["discharge_current"] = .number(limits.dischargeCurrent)
        l["reasons"] = .array(limits.reasons.map { .string($0.text) })
        o["limits"] = .object(l)
        return .object(o)
    }
}
