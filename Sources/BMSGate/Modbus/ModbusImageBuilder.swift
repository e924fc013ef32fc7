import Foundation

/// Turns snapshots into the register image of every bank (one unit id each), in the
/// configured map. Keeps the per-bank heartbeat: seconds counted while the bank has fresh
/// data, frozen while it has none.
///
/// Work per snapshot follows what changed, not the site's size: a pack's block (its 804
/// model, or its simple-map block) is encoded again only when that pack changed, a bank's
/// registers only when one of its packs or its heartbeat changed, and only the changed
/// banks get a new libmodbus mapping; the rest of the image is shared with the previous one.
///
/// Two steps, so the registers can wait for a client: `advance(to:)` runs for every
/// snapshot and only moves the heartbeats (O(banks)); `render(_:)` encodes the registers
/// of a snapshot, and skipped snapshots cost nothing (the cursor finds what changed since
/// the last render). Thread-safe: both steps take the builder's lock.
public final class ModbusImageBuilder: @unchecked Sendable {
    let settings: ModbusSinkSettings
    let banks: [BankConfig]
    private let lock = NSLock()
    private var cursor = SnapshotCursor()
    private var lastTime: Date?
    /// Per configured bank: its index in the snapshot's banks (nil = not in the site).
    private var bankIndex: [Int?] = []
    private var layoutOf: SiteLayout?
    private var freshSeconds: [Double]
    private var heartbeats: [UInt16]
    /// Each bank's heartbeat as its registers were last encoded.
    private var encodedBeats: [UInt16]
    /// Each configured bank's registers and their mapping, as served now.
    private var registers: [[UInt16]?]
    private var units: [UInt8: UnitRegisters] = [:]
    private var current: RegisterImage?
    /// Each pack's 804 model (SunSpec) or simple-map block as last encoded.
    private var packBlocks: [Int: (position: Int, registers: [UInt16])] = [:]
    /// Each bank's model 1 (SunSpec).
    private var commonBlocks: [String: [UInt16]] = [:]

    /// A builder for `banks` in `settings.map`.
    public init(settings: ModbusSinkSettings, banks: [BankConfig]) {
        self.settings = settings
        self.banks = banks
        freshSeconds = Array(repeating: 0, count: banks.count)
        heartbeats = Array(repeating: 0, count: banks.count)
        encodedBeats = heartbeats
        registers = Array(repeating: nil, count: banks.count)
    }

    /// The image of `snapshot`: `advance(to:)` and `render(_:)` in one.
    public func image(_ snapshot: Snapshot) -> RegisterImage {
        lock.withLock {
            advanceLocked(to: snapshot)
            return renderLocked(snapshot)
        }
    }

    /// Counts the time since the previous snapshot into the heartbeat of each bank that
    /// has fresh data. Call for every snapshot, in order.
    public func advance(to snapshot: Snapshot) {
        lock.withLock { advanceLocked(to: snapshot) }
    }

    /// The registers of `snapshot` (one advanced to, normally the newest), encoding only
    /// what changed since the last render.
    public func render(_ snapshot: Snapshot) -> RegisterImage {
        lock.withLock { renderLocked(snapshot) }
    }

    private func advanceLocked(to snapshot: Snapshot) {
        let elapsed = lastTime.map { max(0, snapshot.time.timeIntervalSince($0)) } ?? 0
        lastTime = snapshot.time
        adopt(snapshot.layout)
        for (c, b) in bankIndex.enumerated() {
            guard let b else { continue }
            if snapshot.banks[b].state != .offline { freshSeconds[c] += elapsed }
            heartbeats[c] = UInt16(truncatingIfNeeded: Int(freshSeconds[c]))
        }
    }

    /// A new site (or the first snapshot): configured banks mapped to snapshot banks once.
    private func adopt(_ layout: SiteLayout) {
        if layoutOf !== layout {
            layoutOf = layout
            bankIndex = banks.map { layout.bankIndex[$0.id] }
            registers = Array(repeating: nil, count: banks.count)
            packBlocks = [:]
            commonBlocks = [:]
            units = [:]
            cursor = SnapshotCursor()
        }
    }

    private func renderLocked(_ snapshot: Snapshot) -> RegisterImage {
        adopt(snapshot.layout)
        let changes = cursor.changes(in: snapshot)
        for p in changes.packs { packBlocks[p] = nil }
        var changedBank = Array(repeating: false, count: snapshot.banks.count)
        for b in changes.banks { changedBank[b] = true }

        var changed = false
        for (c, config) in banks.enumerated() {
            guard let b = bankIndex[c] else { continue }
            let bank = snapshot.banks[b]
            let heartbeat = heartbeats[c]
            let beat = heartbeat != encodedBeats[c]
            encodedBeats[c] = heartbeat
            let members = snapshot.layout.bankMembers[b]
            var regs: [UInt16]
            if changedBank[b] || registers[c] == nil || (beat && settings.map == .sunspec) {
                regs = build(config, bank: bank, members: members, snapshot: snapshot, heartbeat: heartbeat)
            } else if settings.map == .simple, var kept = registers[c] {
                // Unchanged bank: only the registers that move with time alone.
                guard patchTime(&kept, members: members, snapshot: snapshot, heartbeat: heartbeat) else { continue }
                regs = kept
            } else {
                continue
            }
            registers[c] = regs
            units[UInt8(settings.unitId(of: config))] = UnitRegisters(start: settings.map == .sunspec ? settings.base : 0, registers: regs)
            changed = true
        }
        if changed || current == nil { current = RegisterImage(units: units) }
        return current!
    }

    /// The heartbeat of configured bank `c` as last encoded.
    func heartbeat(ofBank c: Int) -> UInt16 { lock.withLock { encodedBeats[c] } }

    /// One bank's registers, from the pack blocks kept or encoded now.
    private func build(_ config: BankConfig, bank status: BankStatus, members: [Int], snapshot: Snapshot, heartbeat: UInt16) -> [UInt16] {
        var bank = status
        bank.unitId = settings.unitId(of: config)
        switch settings.map {
        case .sunspec:
            let packs = members.map { snapshot.packs[$0] }
            let strings = members.enumerated().map { k, p in
                block(p, position: k + 1) { SunSpecImage.string(snapshot.packs[p], index: k + 1) }
            }
            let input = SunSpecImage.Input(site: snapshot.site, bank: bank, packs: packs,
                                           reserveSoc: config.limits.reserveSoc, heartbeat: heartbeat)
            // Model 1 names the bank, the site and the version: it never changes in a run.
            let common = commonBlocks[config.id] ?? SunSpecImage.common(input)
            commonBlocks[config.id] = common
            return SunSpecImage.registers(input, strings: strings, common: common)
        case .simple:
            let stride = SimpleRegisterMap.packStride
            var out = Array(repeating: UInt16(0), count: stride * (members.count + 1))
            let packs = members.map { snapshot.packs[$0] }
            SimpleRegisterMap.fill(&out, at: 0, SimpleRegisterMap.bankFields,
                                   .init(bank: bank, packs: packs, heartbeat: heartbeat, now: snapshot.time))
            for (k, p) in members.enumerated() {
                let encoded = block(p) {
                    var one = Array(repeating: UInt16(0), count: stride)
                    SimpleRegisterMap.fill(&one, at: 0, SimpleRegisterMap.packFields, .init(pack: snapshot.packs[p], now: snapshot.time))
                    return one
                }
                out.replaceSubrange(stride * (k + 1)..<stride * (k + 2), with: encoded)
            }
            patchTime(&out, members: members, snapshot: snapshot, heartbeat: heartbeat)
            return out
        }
    }

    /// A pack's block as kept, or encoded now and kept. An 804 model holds the pack's
    /// position in its bank, so it is kept with that position.
    private func block(_ pack: Int, position: Int = 0, _ encode: () -> [UInt16]) -> [UInt16] {
        if let kept = packBlocks[pack], kept.position == position { return kept.registers }
        let encoded = encode()
        packBlocks[pack] = (position, encoded)
        return encoded
    }

    /// Writes the time-dependent simple-map registers (ages, heartbeat) for `snapshot.time`;
    /// true when one of them changed. Reads the packs in place (no copies).
    @discardableResult
    private func patchTime(_ out: inout [UInt16], members: [Int], snapshot: Snapshot, heartbeat: UInt16) -> Bool {
        var changed = false
        func put(_ value: UInt16, at i: Int) {
            if out[i] != value { out[i] = value; changed = true }
        }
        put(heartbeat, at: SimpleRegisterMap.bankHeartbeatOffset)
        put(SimpleRegisterMap.bankAge(members.lazy.map { snapshot.packs[$0] }, now: snapshot.time), at: SimpleRegisterMap.bankAgeOffset)
        for (k, p) in members.enumerated() {
            put(SimpleRegisterMap.packAge(snapshot.packs[p], now: snapshot.time),
                at: SimpleRegisterMap.packStride * (k + 1) + SimpleRegisterMap.packAgeOffset)
        }
        return changed
    }
}
