/// One pack as the limit rules see it.
public struct PackLimitInput: Sendable {
    public var id: String
    /// Fresh data (last good reading younger than stale_after).
    public var online: Bool
    /// The last good reading (ignored when offline).
    public var reading: Reading?
    /// The pack's configured maxima.
    public var limits: PackLimitsConfig

    /// An input.
    public init(id: String, online: Bool, reading: Reading?, limits: PackLimitsConfig = PackLimitsConfig()) {
        self.id = id
        self.online = online
        self.reading = reading
        self.limits = limits
    }
}

/// The rules that turn pack readings into what an inverter may do with a bank. Every
/// rule can only lower a limit; each one that does is named in `ChargeLimits.reasons`.
///
/// 1. **No data**: no pack online: 0 A both ways.
/// 2. **One device twice**: two online packs report the same serial number (one pack
///    configured twice, e.g. `address: 1` and `address: "0x01"` on different buses): 0 A
///    both ways, and the bank raises `duplicate_pack`, until the site file is fixed.
/// 3. **Failsafe**: a pack offline: 0 A both ways (`failsafe: zero`, the default), or the
///    offline packs count 0 A and the others keep their share (`failsafe: share`).
/// 4. **Maxima**: a pack's maximum is the lowest of its configured `limits` and the limit its
///    BMS reports (extras `charge_current_limit` / `discharge_current_limit`); a pack with
///    neither gets the bank maximum / number of packs; a pack with nothing at all counts 0 A
///    (`not_configured`). A pack whose BMS switched a direction off counts 0 A that way.
///    The bank limit is the sum over online packs, capped by the bank maximum.
/// 5. **Cell taper** (charge): linear from 1 at `taper_start` to 0 at `cell_voltage_max`
///    of the highest cell in the bank.
/// 6. **Temperature** (each direction): linear from 1 at the window (`low`, `high`) to 0 at
///    the hard limits (`min`, `max`), over the coldest and hottest probe; no probe known
///    while a window is configured: 0 A.
/// 7. **Reserve** (discharge): 0 A at or below `reserve_soc` of the bank SoC (or SoC unknown).
/// 8. **Alarms**: 0 A in the direction an active alarm concerns (both for short circuit,
///    MOSFET overtemperature, sensor and internal faults).
///
/// Charge voltage limit: the lowest of the bank's `charge_voltage`, the packs' configured
/// and BMS-reported (`charge_voltage_limit`) ones, and cells in series x `cell_voltage_max`.
/// Currents are rounded down to 0.1 A.
public enum LimitCalculator {
    /// The limits of a bank made of `packs` (all its packs, online or not), whose SoC is `bankSoc`.
    public static func compute(bank: BankLimitsConfig, packs: [PackLimitInput], bankSoc: Double?) -> ChargeLimits {
        compute(bank: bank, packs: packs, bankSoc: bankSoc,
                duplicates: duplicateSerials(packs.filter { $0.online && $0.reading != nil }.map { ($0.id, $0.reading) }))
    }

    /// `compute` with the online packs' duplicate serials already found (`duplicateSerials`).
    static func compute(bank: BankLimitsConfig, packs: [PackLimitInput], bankSoc: Double?,
                        duplicates: [(serial: String, packs: [String])]) -> ChargeLimits {
        let online = packs.filter { $0.online && $0.reading != nil }
        let offline = packs.filter { !($0.online && $0.reading != nil) }
        let voltage = chargeVoltage(bank: bank, packs: packs, online: online)
        guard !online.isEmpty else {
            let detail = "no pack of the bank has fresh data"
            return ChargeLimits(chargeVoltage: voltage, chargeCurrent: 0, dischargeCurrent: 0,
                                reasons: [LimitReason(rule: .noData, direction: .charge, detail: detail),
                                          LimitReason(rule: .noData, direction: .discharge, detail: detail)])
        }
        if !duplicates.isEmpty {
            let detail = duplicates.map { "\($0.packs.joined(separator: " and ")) report serial '\($0.serial)': one device counted twice" }
                .joined(separator: "; ")
            return ChargeLimits(chargeVoltage: voltage, chargeCurrent: 0, dischargeCurrent: 0,
                                reasons: [LimitReason(rule: .duplicatePack, direction: .charge, detail: detail),
                                          LimitReason(rule: .duplicatePack, direction: .discharge, detail: detail)])
        }
        if !offline.isEmpty && bank.failsafe == .zero {
            let detail = "\(offline.map(\.id).joined(separator: ", ")) offline (failsafe: zero)"
            return ChargeLimits(chargeVoltage: voltage, chargeCurrent: 0, dischargeCurrent: 0,
                                reasons: [LimitReason(rule: .packOffline, direction: .charge, detail: detail),
                                          LimitReason(rule: .packOffline, direction: .discharge, detail: detail)])
        }
        var reasons: [LimitReason] = []
        let charge = current(.charge, bank: bank, packs: packs, online: online, offline: offline, bankSoc: bankSoc, &reasons)
        let discharge = current(.discharge, bank: bank, packs: packs, online: online, offline: offline, bankSoc: bankSoc, &reasons)
        reasons.sort { ($0.rule.rawValue, $0.direction == .charge ? 0 : 1) < ($1.rule.rawValue, $1.direction == .charge ? 0 : 1) }
        return ChargeLimits(chargeVoltage: voltage, chargeCurrent: charge, dischargeCurrent: discharge, reasons: reasons)
    }

    static func chargeVoltage(bank: BankLimitsConfig, packs: [PackLimitInput], online: [PackLimitInput]) -> Double? {
        var candidates = [bank.chargeVoltage].compactMap { $0 } + packs.compactMap(\.limits.chargeVoltage)
        candidates += online.compactMap { $0.reading.flatMap { reported($0.reportedLimits.chargeVoltage) } }
        if let cellMax = bank.cellVoltageMax, let series = online.compactMap({ $0.reading?.cells.count }).max(), series > 0 {
            candidates.append(cellMax * Double(series))
        }
        return candidates.min().map { ($0 * 1000).rounded() / 1000 }
    }

    /// A limit the BMS reports, when it is a usable one.
    static func reported(_ value: Double?) -> Double? {
        guard let value, value.isFinite, value >= 0 else { return nil }
        return value
    }

    static func current(_ direction: LimitDirection, bank: BankLimitsConfig, packs: [PackLimitInput],
                        online: [PackLimitInput], offline: [PackLimitInput], bankSoc: Double?,
                        _ reasons: inout [LimitReason]) -> Double {
        func lower(_ rule: LimitRule, _ detail: String) { reasons.append(LimitReason(rule: rule, direction: direction, detail: detail)) }
        let isCharge = direction == .charge
        let bankMax = isCharge ? bank.chargeCurrent : bank.dischargeCurrent
        let key = isCharge ? "charge_current" : "discharge_current"

        // Maxima.
        var sum = 0.0
        for pack in online {
            let reading = pack.reading!
            if (isCharge ? reading.chargeEnabled : reading.dischargeEnabled) == false {
                lower(.bmsDisabled, "\(pack.id) has \(direction.rawValue) switched off")
                continue
            }
            let own = [isCharge ? pack.limits.chargeCurrent : pack.limits.dischargeCurrent,
                       reported(isCharge ? reading.reportedLimits.chargeCurrent : reading.reportedLimits.dischargeCurrent)].compactMap { $0 }.min()
            guard let max = own ?? bankMax.map({ $0 / Double(packs.count) }) else {
                lower(.notConfigured, "no \(key) limit for \(pack.id): set limits on the pack or the bank")
                continue
            }
            sum += max
        }
        if !offline.isEmpty { lower(.packOffline, "\(offline.map(\.id).joined(separator: ", ")) offline, the others keep their share") }
        var limit = min(bankMax ?? .infinity, sum)
        let readings = online.compactMap(\.reading)

        // Cell taper.
        if isCharge, let end = bank.cellVoltageMax {
            let highest = readings.compactMap { r in r.cellMax.map { (r.pack, $0) } }.max { $0.1 < $1.1 }
            if let (pack, v) = highest {
                let start = min(bank.taperStart ?? end, end)
                let factor = v >= end ? 0 : (v > start ? (end - v) / (end - start) : 1)
                if factor < 1 {
                    limit *= factor
                    lower(.cellTaper, "highest cell \(format(v, 3)) V in \(pack), 0 A at \(format(end, 3)) V")
                }
            }
        }

        // Temperature.
        if let window = isCharge ? bank.chargeTemperature : bank.dischargeTemperature {
            let probes = readings.flatMap { r in r.temperatures.map { (r.pack, $0) } }
            if let coldest = probes.min(by: { $0.1 < $1.1 }), let hottest = probes.max(by: { $0.1 < $1.1 }) {
                let cold = coldest.1 < window.low ? temperatureFactor(coldest.1, window) : 1
                let hot = hottest.1 > window.high ? temperatureFactor(hottest.1, window) : 1
                if cold < 1 {
                    lower(.temperature, "coldest probe \(format(coldest.1, 1)) °C in \(coldest.0), full current from \(format(window.low, 1)) °C")
                }
                if hot < 1 {
                    lower(.temperature, "hottest probe \(format(hottest.1, 1)) °C in \(hottest.0), full current up to \(format(window.high, 1)) °C")
                }
                limit *= min(cold, hot)
            } else {
                limit = 0
                lower(.temperatureUnknown, "no temperature reported while a \(direction.rawValue) temperature window is set")
            }
        }

        // Reserve.
        if !isCharge, let reserve = bank.reserveSoc {
            if let soc = bankSoc {
                if soc <= reserve {
                    limit = 0
                    lower(.reserveSoc, "bank SoC \(format(soc, 1)) % at or below the reserve \(format(reserve, 1)) %")
                }
            } else {
                limit = 0
                lower(.reserveSoc, "bank SoC unknown while a reserve is set")
            }
        }

        // Alarms.
        let active = readings.flatMap { r in r.alarms.filter { isCharge ? $0.stopsCharge : $0.stopsDischarge }.map { "\($0) (\(r.pack))" } }
        if !active.isEmpty {
            limit = 0
            lower(.alarm, active.joined(separator: ", "))
        }

        guard limit.isFinite, limit > 0 else { return 0 }
        // Round down to 0.1 A, after dropping floating-point noise (74.99999... is 75).
        return ((limit * 10 * 1e6).rounded() / 1e6).rounded(.down) / 10
    }

    /// Serial numbers that more than one of `packs` reports, with those packs, in pack order.
    public static func duplicateSerials(_ packs: [(id: String, reading: Reading?)]) -> [(serial: String, packs: [String])] {
        let serials = packs.map { $0.reading.map { trimmedSerial($0.identity.serial) } ?? "" }
        var found: [(serial: String, packs: [String])] = []
        // A bank holds a few to a few dozen packs: pairwise compares of short strings cost
        // less than hashing every serial for every snapshot.
        for i in serials.indices where !serials[i].isEmpty {
            guard !serials[..<i].contains(serials[i]) else { continue }  // reported with its first pack
            var same: [String] = []
            for j in serials.indices.dropFirst(i + 1) where serials[j] == serials[i] {
                if same.isEmpty { same.append(packs[i].id) }
                same.append(packs[j].id)
            }
            if !same.isEmpty { found.append((serials[i], same)) }
        }
        return found
    }

    /// `serial` without surrounding spaces and tabs; the usual serial has none and is
    /// returned as is (no Foundation trimming per pack per snapshot).
    static func trimmedSerial(_ serial: String) -> String {
        let utf8 = serial.utf8
        func blank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        guard let first = utf8.first, let last = utf8.last, blank(first) || blank(last) else { return serial }
        guard let start = utf8.firstIndex(where: { !blank($0) }), let end = utf8.lastIndex(where: { !blank($0) }) else { return "" }
        return String(serial[start...end])
    }

    /// 1 inside the window, 0 at or beyond the hard limits, linear between.
    public static func temperatureFactor(_ t: Double, _ w: TemperatureWindow) -> Double {
        if t <= w.min || t >= w.max { return 0 }
        if t < w.low { return w.low > w.min ? (t - w.min) / (w.low - w.min) : 1 }
        if t > w.high { return w.max > w.high ? (w.max - t) / (w.max - w.high) : 1 }
        return 1
    }

    static func format(_ v: Double, _ digits: Int) -> String {
        let scale = [1.0, 10, 100, 1000][digits]
        let r = (v * scale).rounded() / scale
        var text = "\(r)"
        let decimals = text.split(separator: ".").last.map(\.count) ?? 0
        if text.contains(".") && decimals < digits { text += String(repeating: "0", count: digits - decimals) }
        return text
    }
}
