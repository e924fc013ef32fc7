import Foundation

/// One register field of the simple map.
public struct SimpleMapField<Source>: Sendable {
    /// Offset inside its block.
    public var offset: Int
    public var name: String
    public var type: RegisterType
    /// Power of ten of one count (-2: 0.01).
    public var scale: Int
    public var unit: String
    public var description: String
    /// The value, nil = not implemented.
    public var value: @Sendable (Source) -> Double?

    init(_ offset: Int, _ name: String, _ type: RegisterType, _ scale: Int, _ unit: String, _ description: String,
         _ value: @escaping @Sendable (Source) -> Double?) {
        self.offset = offset
        self.name = name
        self.type = type
        self.scale = scale
        self.unit = unit
        self.description = description
        self.value = value
    }
}

/// The simple map: a flat block of holding (and identical input) registers per bank for
/// integrators (Home Assistant, Node-RED). Fixed scale factors, 32-bit values high word
/// first, "not implemented" as in SunSpec (0xFFFF, 0x8000, 0xFFFFFFFF). The bank block is
/// at 0; pack k (1-based, bank order) at `packStride` x k. docs/modbus-map.md is
/// generated from these tables (`bmsgate modbus-map`), and a test keeps it in step.
public enum SimpleRegisterMap {
    /// Registers per block.
    public static let packStride = 100
    /// Layout version in register 0.
    public static let layoutVersion = 1.0
    /// Cells and temperatures a pack block holds.
    public static let maxCells = 32, maxTemperatures = 8

    /// What a bank block is made from.
    public struct BankSource: Sendable {
        public var bank: BankStatus
        public var packs: [PackStatus]
        public var heartbeat: UInt16
        public var now: Date
    }

    /// What a pack block is made from.
    public struct PackSource: Sendable {
        public var pack: PackStatus
        public var now: Date
        /// The reading, only when fresh (looked up once for the block's ~70 fields).
        let fresh: Reading?

        /// A pack at `now`.
        public init(pack: PackStatus, now: Date) {
            self.pack = pack
            self.now = now
            fresh = pack.online ? pack.reading : nil
        }
    }

    static func age(_ reading: Reading?, _ now: Date) -> Double? {
        reading.map { max(0, now.timeIntervalSince($0.time)).rounded(.down) }
    }

    /// The bank block.
    public static let bankFields: [SimpleMapField<BankSource>] = [
        .init(0, "layout_version", .uint16, 0, "", "Layout version of this map (\(Int(layoutVersion)))") { _ in layoutVersion },
        .init(1, "pack_count", .uint16, 0, "", "Packs in the bank; pack k's block starts at \(packStride) x k") { Double($0.bank.packs.count) },
        .init(2, "packs_online", .uint16, 0, "", "Packs with fresh data") { Double($0.bank.onlinePacks.count) },
        .init(3, "state", .enum16, 0, "", "0 ok, 1 degraded (a pack offline), 2 offline (no fresh data)") {
            Double($0.bank.state.modbusCode)
        },
        .init(4, "heartbeat", .uint16, 0, "", "Counts seconds while the bank has fresh data; stops when it has none") { Double($0.heartbeat) },
        .init(5, "data_age", .uint16, 0, "s", "Age of the oldest last good reading of the bank's packs") { s in
            s.packs.compactMap { age($0.reading, s.now) }.max() ?? (s.packs.isEmpty ? nil : 65534)
        },
        .init(6, "voltage", .uint16, -2, "V", "Mean pack voltage") { $0.live?.voltage },
        .init(7, "current", .int16, -1, "A", "Total current, positive = charging") { $0.live?.current },
        .init(8, "power", .int32, 0, "W", "Total power, positive = charging") { $0.live?.power },
        .init(10, "soc", .uint16, -1, "%", "State of charge, capacity-weighted") { $0.live?.soc },
        .init(11, "soh", .uint16, -1, "%", "State of health, lowest pack") { $0.live?.soh },
        .init(12, "remaining_capacity", .uint32, -1, "Ah", "Remaining capacity, summed") { $0.live?.remainingCapacity },
        .init(14, "full_capacity", .uint32, -1, "Ah", "Full capacity, summed") { $0.live?.fullCapacity },
        .init(16, "cycles", .uint16, 0, "", "Highest cycle count of the packs") { $0.live?.cycles },
        .init(17, "cell_min", .uint16, -3, "V", "Lowest cell of the bank") { $0.live?.cellMin?.volts },
        .init(18, "cell_min_pack", .uint16, 0, "", "Pack (1-based) holding the lowest cell") { s in
            s.live?.cellMin.flatMap { c in s.bank.packs.firstIndex(of: c.pack).map { Double($0 + 1) } }
        },
        .init(19, "cell_max", .uint16, -3, "V", "Highest cell of the bank") { $0.live?.cellMax?.volts },
        .init(20, "cell_max_pack", .uint16, 0, "", "Pack (1-based) holding the highest cell") { s in
            s.live?.cellMax.flatMap { c in s.bank.packs.firstIndex(of: c.pack).map { Double($0 + 1) } }
        },
        .init(21, "cell_avg", .uint16, -3, "V", "Mean of every cell") { $0.live?.cellAvg },
        .init(22, "cell_delta", .uint16, -3, "V", "Highest minus lowest cell") { s in
            s.live.flatMap { b in b.cellMax.flatMap { hi in b.cellMin.map { hi.volts - $0.volts } } }
        },
        .init(23, "temperature_min", .int16, -1, "°C", "Coldest cell/pack probe") { $0.live?.temperatureMin },
        .init(24, "temperature_max", .int16, -1, "°C", "Hottest cell/pack probe") { $0.live?.temperatureMax },
        .init(25, "charge_voltage_limit", .uint16, -2, "V", "Charge voltage limit") { $0.bank.command.limits.chargeVoltage },
        .init(26, "charge_current_limit", .uint16, -1, "A", "Charge current limit (0 while data is stale)") { $0.bank.command.limits.chargeCurrent },
        .init(27, "discharge_current_limit", .uint16, -1, "A", "Discharge current limit (0 while data is stale)") { $0.bank.command.limits.dischargeCurrent },
        .init(28, "alarms", .bitfield32, 0, "", "Canonical alarms: bit i = alarm i of the list below") { Double(CanonicalAlarm.mask($0.bank.alarms)) },
        .init(30, "limit_reasons", .bitfield32, 0, "", "Rules lowering a limit: bit r charge, bit 16+r discharge (list below)") { Double($0.bank.command.limits.reasonMask) },
        .init(32, "voltage_min", .uint16, -2, "V", "Lowest pack voltage") { $0.live?.voltageMin },
        .init(33, "voltage_max", .uint16, -2, "V", "Highest pack voltage") { $0.live?.voltageMax },
        .init(34, "discharge_voltage_limit", .uint16, -2, "V", "The inverter's low cut-off (0 when unknown)") { $0.bank.command.dischargeVoltage },
        .init(35, "command_flags", .bitfield16, 0, "",
              "What the inverter is told: bit 0 charge enabled, 1 discharge enabled, 2 force charge, 3 failsafe, 4 system error") { s in
            let c = s.bank.command
            return Double((c.chargeEnabled ? 1 : 0) | (c.dischargeEnabled ? 2 : 0) | (c.forceCharge ? 4 : 0) | (c.failsafe ? 8 : 0)
                          | (c.alarms.systemError ? 16 : 0))
        },
        .init(36, "charge_phase", .enum16, 0, "", "Charge phase: 0 bulk, 1 absorption, 2 float, 3 stopped") { s in
            Double(ChargePhase.allCases.firstIndex(of: s.bank.command.phase) ?? 3)
        },
    ]

    /// A pack block (offsets from the block start).
    public static let packFields: [SimpleMapField<PackSource>] = {
        var fields: [SimpleMapField<PackSource>] = [
            .init(0, "online", .uint16, 0, "", "1 = fresh data, 0 = offline (every measurement below reads not implemented)") { $0.pack.online ? 1 : 0 },
            .init(1, "data_age", .uint16, 0, "s", "Age of the last good reading") { s in age(s.pack.reading, s.now).map { min($0, 65534) } },
            .init(2, "voltage", .uint16, -2, "V", "Pack voltage") { $0.fresh?.voltage },
            .init(3, "current", .int16, -1, "A", "Current, positive = charging") { $0.fresh?.current },
            .init(4, "power", .int32, 0, "W", "Power, positive = charging") { s in s.fresh.flatMap { r in r.power ?? r.voltage.flatMap { v in r.current.map { v * $0 } } } },
            .init(6, "soc", .uint16, -1, "%", "State of charge") { $0.fresh?.soc },
            .init(7, "soh", .uint16, -1, "%", "State of health") { $0.fresh?.soh },
            .init(8, "remaining_capacity", .uint32, -1, "Ah", "Remaining capacity") { $0.fresh?.remainingCapacity },
            .init(10, "full_capacity", .uint32, -1, "Ah", "Full capacity") { $0.fresh?.fullCapacity },
            .init(12, "cycles", .uint16, 0, "", "Cycle count") { $0.fresh?.cycles },
            .init(13, "cell_count", .uint16, 0, "", "Cells reported") { $0.fresh.map { Double($0.cells.count) } },
            .init(14, "cell_min", .uint16, -3, "V", "Lowest cell") { $0.fresh?.cellMin },
            .init(15, "cell_max", .uint16, -3, "V", "Highest cell") { $0.fresh?.cellMax },
            .init(16, "cell_avg", .uint16, -3, "V", "Mean cell") { $0.fresh?.cellAvg },
            .init(17, "cell_delta", .uint16, -3, "V", "Highest minus lowest cell") { $0.fresh?.cellDelta },
            .init(18, "temperature_count", .uint16, 0, "", "Temperature probes reported") { $0.fresh.map { Double($0.temperatures.count) } },
            .init(19, "mos_temperature", .int16, -1, "°C", "MOSFET temperature") { $0.fresh?.mosTemperature },
            .init(20, "ambient_temperature", .int16, -1, "°C", "Ambient temperature") { $0.fresh?.ambientTemperature },
            .init(21, "alarms", .bitfield32, 0, "", "Canonical alarms (communication when offline)") { s in
                Double(CanonicalAlarm.mask(s.fresh?.alarms ?? [.communication]))
            },
            .init(23, "balancing", .bitfield32, 0, "", "Balancing cells: bit i = cell i+1") { s in
                s.fresh.map { r in Double(r.balancing.filter { (1...32).contains($0) }.reduce(UInt32(0)) { $0 | 1 << UInt32($1 - 1) }) }
            },
            .init(25, "charge_enabled", .uint16, 0, "", "1 = the BMS allows charging, 0 = switched off") { s in s.fresh?.chargeEnabled.map { $0 ? 1 : 0 } },
            .init(26, "discharge_enabled", .uint16, 0, "", "1 = the BMS allows discharging, 0 = switched off") { s in s.fresh?.dischargeEnabled.map { $0 ? 1 : 0 } },
        ]
        for i in 0..<maxTemperatures {
            fields.append(.init(30 + i, "temperature_\(i + 1)", .int16, -1, "°C", "Probe \(i + 1)") { s in
                s.fresh.flatMap { i < $0.temperatures.count ? $0.temperatures[i] : nil }
            })
        }
        for i in 0..<maxCells {
            fields.append(.init(40 + i, "cell_\(i + 1)", .uint16, -3, "V", "Cell \(i + 1)") { s in
                s.fresh.flatMap { i < $0.cells.count ? $0.cells[i] : nil }
            })
        }
        return fields
    }()

    /// The registers of one bank from address 0: the bank block, then one block per pack.
    public static func registers(bank: BankStatus, packs: [PackStatus], heartbeat: UInt16, now: Date) -> [UInt16] {
        var out = Array(repeating: UInt16(0), count: packStride * (packs.count + 1))
        fill(&out, at: 0, bankFields, BankSource(bank: bank, packs: packs, heartbeat: heartbeat, now: now))
        for (k, pack) in packs.enumerated() {
            fill(&out, at: packStride * (k + 1), packFields, PackSource(pack: pack, now: now))
        }
        return out
    }

    /// Offsets of the registers that change with time alone (ages, the heartbeat): a
    /// builder that keeps a bank's registers patches these and re-encodes a block only
    /// when its pack or bank changed.
    public static let bankAgeOffset = bankFields.first { $0.name == "data_age" }!.offset
    public static let bankHeartbeatOffset = bankFields.first { $0.name == "heartbeat" }!.offset
    public static let packAgeOffset = packFields.first { $0.name == "data_age" }!.offset

    /// The bank's data_age register value (not implemented = 0xFFFF).
    static func bankAge<Packs: Sequence<PackStatus>>(_ packs: Packs, now: Date) -> UInt16 {
        var oldest: Double?
        var any = false
        for p in packs {
            any = true
            if let a = age(p.reading, now) { oldest = max(oldest ?? a, a) }
        }
        return register(oldest ?? (any ? 65534 : nil))
    }

    /// A pack's data_age register value (not implemented = 0xFFFF).
    static func packAge(_ pack: PackStatus, now: Date) -> UInt16 {
        register(age(pack.reading, now).map { min($0, 65534) })
    }

    /// Seconds as one uint16 register, as `ScaleFactor.write` puts them (out of range or
    /// unknown: not implemented), without an array for one value.
    private static func register(_ seconds: Double?) -> UInt16 {
        guard let seconds, seconds.isFinite else { return 0xFFFF }
        let raw = ScaleFactor.scaled(seconds, 0)
        return RegisterType.uint16.range.contains(raw) ? UInt16(raw) : 0xFFFF
    }

    /// Encodes `fields` of `source` into `out` from `base` (no allocation per field).
    static func fill<S>(_ out: inout [UInt16], at base: Int, _ fields: [SimpleMapField<S>], _ source: S) {
        // By index: binding each field would copy its strings and closure context.
        for i in fields.indices {
            ScaleFactor.write(fields[i].value(source), fields[i].scale, type: fields[i].type, into: &out, at: base + fields[i].offset)
        }
    }
}

extension SimpleRegisterMap.BankSource {
    /// The bank's measurements, only when some pack has fresh data.
    var live: BankStatus? { bank.state == .offline ? nil : bank }
}
