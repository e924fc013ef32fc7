import Foundation

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
    /// What every inverter link says about the bank (from the bank's `ChargeController`).
    public var command = InverterCommand.none

    /// Whether the bank's packs have fresh data: all, some or none.
    public var state: BankState {
        onlinePacks.count == packs.count ? .ok : (onlinePacks.isEmpty ? .offline : .degraded)
    }

    /// Aggregates `statuses` (the bank's packs, in bank order) and computes the bank's limits.
    public static func aggregate(_ config: BankConfig, statuses: [PackStatus],
                                 packLimits: [String: PackLimitsConfig] = [:]) -> BankStatus {
        aggregate(config, statuses: statuses, limits: statuses.map { packLimits[$0.id] ?? PackLimitsConfig() })
    }

    /// `aggregate` with each pack's configured limits in bank order (resolved once by the
    /// caller instead of looked up by name for every snapshot).
    public static func aggregate(_ config: BankConfig, statuses: [PackStatus], limits: [PackLimitsConfig]) -> BankStatus {
        var controller = ChargeController(bank: config)
        return aggregate(config, statuses: statuses, limits: limits, controller: &controller)
    }

    /// `aggregate` whose command comes from the bank's own `controller` (which keeps state
    /// across snapshots).
    public static func aggregate(_ config: BankConfig, statuses: [PackStatus], limits: [PackLimitsConfig],
                                 controller: inout ChargeController, nowMs: UInt64 = MonotonicClock.nowMs(), now: Date = Date()) -> BankStatus {
        // One device counted twice matters to the alarms and to the limits: found once.
        let duplicates = onlineDuplicates(statuses)
        var bank = aggregate(id: config.id, unitId: config.unitId, statuses: statuses, duplicates: duplicates)
        let inputs = zip(statuses, limits).map {
            PackLimitInput(id: $0.id, online: $0.online, reading: $0.reading, limits: $1)
        }
        bank.limits = LimitCalculator.compute(bank: config.limits, packs: inputs, bankSoc: bank.soc, duplicates: duplicates)
        bank.command = controller.command(for: bank, packs: statuses, nowMs: nowMs, now: now)
        return bank
    }

    /// Aggregates `statuses` (the bank's packs, in bank order), without limits.
    public static func aggregate(id: String, unitId: Int = 1, statuses: [PackStatus]) -> BankStatus {
        aggregate(id: id, unitId: unitId, statuses: statuses, duplicates: onlineDuplicates(statuses))
    }

    /// The serial numbers more than one online pack reports.
    static func onlineDuplicates(_ statuses: [PackStatus]) -> [(serial: String, packs: [String])] {
        LimitCalculator.duplicateSerials(statuses.filter(\.online).map { ($0.id, $0.reading) })
    }

    /// `aggregate` with the online packs' duplicate serials already found. One pass over
    /// the packs with running sums (it runs for every reading of a member pack); sums
    /// and extremes are taken in pack order, as summing the lists of values would.
    static func aggregate(id: String, unitId: Int, statuses: [PackStatus],
                          duplicates: [(serial: String, packs: [String])]) -> BankStatus {
        /// A sum of the values present, nil when none is.
        struct Sum {
            var total = 0.0
            var any = false
            mutating func add(_ v: Double?) { if let v { total += v; any = true } }
            var value: Double? { any ? (total * 1000).rounded() / 1000 : nil }
        }
        var ids: [String] = []
        var online: [String] = []
        ids.reserveCapacity(statuses.count)
        online.reserveCapacity(statuses.count)
        var volts = 0.0, voltCount = 0
        var current = Sum(), power = Sum(), remaining = Sum(), full = Sum()
        var cellTotal = 0.0, cellCount = 0
        var weight = 0.0, weightedSoc = 0.0
        var alarmBits: UInt32 = 0
        var bank = BankStatus(id: id, unitId: unitId, packs: [], onlinePacks: [], alarms: [])
        for status in statuses {
            ids.append(status.id)
            guard status.online else { continue }
            online.append(status.id)
            guard let r = status.reading else { continue }
            if let v = r.voltage {
                volts += v
                voltCount += 1
                if bank.voltageMin.map({ v < $0 }) ?? true { bank.voltageMin = v }
                if bank.voltageMax.map({ $0 < v }) ?? true { bank.voltageMax = v }
            }
            current.add(r.current)
            power.add(r.power ?? r.voltage.flatMap { v in r.current.map { v * $0 } })
            remaining.add(r.remainingCapacity)
            full.add(r.fullCapacity)
            if let c = r.cycles, bank.cycles.map({ $0 < c }) ?? true { bank.cycles = c }
            let cells = r.cells
            if !cells.isEmpty {
                var lo = cells[0], hi = cells[0]
                for c in cells {
                    cellTotal += c
                    if c < lo { lo = c }
                    if hi < c { hi = c }
                }
                cellCount += cells.count
                if lo < (bank.cellMin?.volts ?? .infinity) { bank.cellMin = (r.pack, lo) }
                if hi > (bank.cellMax?.volts ?? -.infinity) { bank.cellMax = (r.pack, hi) }
            }
            if let soc = r.soc {
                let w = r.fullCapacity ?? 1
                weight += w
                weightedSoc += soc * w
            }
            if let h = r.soh, bank.soh.map({ h < $0 }) ?? true { bank.soh = h }
            let temps = r.temperatures
            if let lo = temps.min() { bank.temperatureMin = min(bank.temperatureMin ?? lo, lo) }
            if let hi = temps.max() { bank.temperatureMax = max(bank.temperatureMax ?? hi, hi) }
            alarmBits |= CanonicalAlarm.mask(r.alarms)
        }
        bank.packs = ids
        bank.onlinePacks = online
        if voltCount > 0 { bank.voltage = (volts / Double(voltCount) * 1000).rounded() / 1000 }
        bank.current = current.value
        bank.power = power.value
        bank.remainingCapacity = remaining.value
        bank.fullCapacity = full.value
        if cellCount > 0 { bank.cellAvg = (cellTotal / Double(cellCount) * 10000).rounded() / 10000 }
        if weight > 0 { bank.soc = (weightedSoc / weight * 100).rounded() / 100 }
        if online.count < statuses.count { alarmBits |= CanonicalAlarm.mask([.communication]) }
        if !duplicates.isEmpty { alarmBits |= CanonicalAlarm.mask([.duplicatePack]) }
        bank.alarms = CanonicalAlarm.alarms(in: alarmBits)
        return bank
    }

    /// As JSON.
    public var json: JSONValue {
        var o = JSONObject()
        o["bank"] = .string(id)
        o["unit_id"] = .number(Double(unitId))
        o["state"] = .string(state.rawValue)
        o["packs"] = .array(packs.map(JSONValue.string))
        o["online_packs"] = .array(onlinePacks.map(JSONValue.string))
        for (field, value) in FieldCatalog.bankMeasurements { o[field.name] = value(self).map(JSONValue.number) }
        for (field, value) in FieldCatalog.bankCells {
            o[field.name] = value(self).map(JSONValue.number)
            if field.name == "cell_min", let c = cellMin { o["cell_min_pack"] = .string(c.pack) }
            if field.name == "cell_max", let c = cellMax { o["cell_max_pack"] = .string(c.pack) }
        }
        for (field, value) in FieldCatalog.bankTemperatures { o[field.name] = value(self).map(JSONValue.number) }
        o["alarms"] = .array(alarms.map { .string($0.rawValue) })
        o["limits"] = command.json(now: Date())
        return .object(o)
    }
}
