import Foundation
import Logging

/// The `can` sink: one bank as a battery on a CAN bus. Its own thread sends the profile's
/// frame set every `period` for as long as the gateway runs (an inverter must never see a
/// battery that silently vanished), always with the bank's current limits and their
/// failsafe (stale or alarmed packs give 0 A and the enable bits off; so does a snapshot
/// older than the bank's `stale_after`, should the gateway itself stall). At shutdown it
/// sends a last set with both currents at 0 A. Between sets it reads what the inverter
/// sends. A link that cannot be opened (no SocketCAN, no adapter) is one clear error in the
/// log; the sink keeps trying and the rest of the site runs on.
public final class CANSink: Sink, @unchecked Sendable {
    public let name: String
    let settings: CANSinkSettings
    let bankConfig: BankConfig
    let logger: Logger
    let link: any CANLink
    /// The simulated inverter of `device: sim`.
    public let simulator: InverterSimulator?
    private let condition = MonotonicCondition()
    private var state: CANBatteryState
    private var stateMs: UInt64 = 0
    private var running = false
    private var thread: WorkerThread?
    private var report = InverterReport()
    private var sets = 0
    private var sendErrors = 0
    private var linkDown = false
    /// Whether the link is open, as the sink thread last saw it (other threads read this,
    /// never the link itself).
    private var linkUp = false
    private var lastClamped: [String] = []
    private var warnedSilent = false
    private let startedMs = MonotonicClock.nowMs()

    /// Starts sending for `bank` (the first sets carry 0 A until a snapshot arrives).
    public init(settings: CANSinkSettings, bank: BankConfig, logger: Logger) throws {
        self.settings = settings
        bankConfig = bank
        self.logger = logger
        let cvl = bank.limits.chargeVoltage ?? settings.chargeVoltage ?? 0
        state = CANBatteryState(chargeVoltage: cvl, dischargeVoltage: settings.dischargeVoltage, chargeCurrent: 0, dischargeCurrent: 0,
                                modules: bank.packs.count, modulesOnline: 0, stale: true)
        switch settings.link {
        case .interface(let name):
            link = SocketCANLink(interface: name)
            simulator = nil
        case .device(let path, let baud):
            link = SLCANLink(transport: SerialPort(settings: SerialSettings(device: path, baud: baud), defaultBaud: baud), bitrate: settings.bitrate)
            simulator = nil
        case .simulated:
            let sim = try InverterSimulator(profile: settings.profile)
            simulator = sim
            link = SLCANLink(transport: SerialPort(settings: SerialSettings(device: sim.path, baud: 115_200), defaultBaud: 115_200),
                             bitrate: settings.bitrate)
        }
        let endpoint = simulator.map { "simulated inverter on \($0.path)" } ?? link.endpoint
        name = "can \(settings.profile.rawValue) \(endpoint) (bank \(bank.id))"
        simulator?.start()
        running = true
        let t = WorkerThread(name: "can-sink") { [self] in loop() }
        thread = t
        t.start()
    }

    public func write(_ snapshot: Snapshot) {
        guard let bank = snapshot.banks.first(where: { $0.id == bankConfig.id }) else { return }
        let packs = snapshot.packs.filter { bank.packs.contains($0.id) }
        let cvl = bankConfig.limits.chargeVoltage ?? settings.chargeVoltage ?? 0
        let next = CANBatteryState(bank: bank, packs: packs, dischargeVoltage: settings.dischargeVoltage, chargeVoltage: cvl)
        condition.withLock {
            state = next
            stateMs = MonotonicClock.nowMs()
        }
    }

    public func close() {
        condition.withLock { running = false }
        condition.broadcast()
        _ = thread?.join(timeout: .seconds(5))
        thread = nil
        simulator?.stop()
    }

    /// The state to send now: the latest, or the failsafe when it is older than the bank's
    /// `stale_after` (plus a period), which only happens when the gateway itself stalls.
    func currentState(nowMs: UInt64) -> CANBatteryState {
        condition.withLock {
            let maxAge = UInt64(bankConfig.staleAfter.milliseconds + settings.period.milliseconds)
            guard stateMs > 0, nowMs &- stateMs <= maxAge else {
                var s = state.stopped
                s.stale = true
                return s
            }
            return state
        }
    }

    private func loop() {
        let periodMs = UInt64(settings.period.milliseconds)
        var next = MonotonicClock.nowMs()
        var retryAtMs: UInt64 = 0
        while condition.withLock({ running }) {
            let now = MonotonicClock.nowMs()
            if !link.isOpen, now >= retryAtMs {
                open()
                retryAtMs = now + 2000
            }
            condition.withLock { linkUp = link.isOpen }
            if link.isOpen { sendSet(currentState(nowMs: now)) }
            next += periodMs
            if next + periodMs < MonotonicClock.nowMs() { next = MonotonicClock.nowMs() }  // fell far behind: start over
            listen(untilMs: next)
            checkInverterSilence()
        }
        // The last word: both currents 0 A, nothing enabled.
        if link.isOpen {
            sendSet(currentState(nowMs: MonotonicClock.nowMs()).stopped)
            logger.info("\(name): sent the final frame set (0 A both ways)")
        }
        link.close()
    }

    private func open() {
        do {
            try link.open()
            if linkDown { logger.warning("\(name): link open again") } else { logger.info("\(name): sending every \(settings.period.milliseconds) ms") }
            linkDown = false
        } catch {
            if !linkDown { logger.error("\(name): \(error) — the inverter gets no frames until this is fixed (retrying every 2 s)") }
            linkDown = true
        }
    }

    private func sendSet(_ state: CANBatteryState) {
        let set = settings.profile.frames(state, quirks: Set(settings.quirks), manufacturer: settings.manufacturer, name: settings.name)
        if set.clamped != lastClamped {
            for note in set.clamped { logger.warning("\(name): clamped to the profile's range: \(note)") }
            lastClamped = set.clamped
        }
        let gap = settings.profile.minimumGapMs
        for frame in set.frames {
            do {
                try link.send(frame)
            } catch {
                condition.withLock { sendErrors += 1 }
                if !link.isOpen {
                    if !linkDown { logger.error("\(name): \(error) — reopening") }
                    linkDown = true
                    return
                }
            }
            // The gap also follows the last frame: the next set must not come closer.
            if gap > 0 { listen(untilMs: MonotonicClock.nowMs() + UInt64(gap)) }
        }
        condition.withLock { sets += 1 }
    }

    /// Reads the inverter's frames until `untilMs` (or until the sink stops).
    private func listen(untilMs: UInt64) {
        while condition.withLock({ running }) {
            let now = MonotonicClock.nowMs()
            guard now < untilMs else { return }
            guard link.isOpen else {
                _ = condition.withLock { condition.wait(untilMs: untilMs) }
                return
            }
            let frames: [CANFrame]
            do {
                frames = try link.receive(timeoutMs: Int(min(untilMs - now, 200)))
            } catch {
                if !linkDown { logger.error("\(name): \(error) — reopening") }
                linkDown = true
                return
            }
            for frame in frames { heard(frame) }
        }
    }

    private func heard(_ frame: CANFrame) {
        guard let fields = InverterFrames.decode(frame, profile: settings.profile) else { return }
        let first = condition.withLock { () -> Bool in
            let first = report.lastSeenMs == nil || warnedSilent
            report.frames += 1
            report.lastSeen = Date()
            report.lastSeenMs = MonotonicClock.nowMs()
            for (k, v) in fields { report.fields[k] = v }
            return first
        }
        if first {
            logger.info("\(name): inverter heard (0x\(String(frame.id, radix: 16, uppercase: true)))")
            warnedSilent = false
        }
        if fields.contains(where: { $0.0 == "shutdown_request" && $0.1 == 1 }) {
            logger.warning("\(name): the inverter asks the battery to shut down (0x300)")
        }
    }

    private func checkInverterSilence() {
        let now = MonotonicClock.nowMs()
        let limit = UInt64(settings.inverterTimeout.milliseconds)
        let last = condition.withLock { report.lastSeenMs } ?? startedMs
        if now &- last > limit, !warnedSilent {
            warnedSilent = true
            logger.warning("\(name): no frame from the inverter for \(limit / 1000) s (is it connected, and set to this battery protocol?)")
        }
    }

    /// One line for the terminal table.
    func summary(_ r: InverterReport) -> String {
        guard condition.withLock({ linkUp }) else { return "LINK DOWN: no frames reach the inverter (see the log)" }
        guard let ms = r.lastSeenMs else { return "sending; inverter NOT HEARD yet" }
        let age = Double(MonotonicClock.nowMs() &- ms) / 1000
        let fields = r.fields.keys.sorted().map { "\($0) \(JSONValue.numberText(r.fields[$0]!))" }.joined(separator: ", ")
        let heard = age > settings.inverterTimeout.seconds ? "inverter SILENT for \(Int(age)) s" : String(format: "inverter heard %.1f s ago", age)
        return "sending; \(heard), \(r.frames) frames" + (fields.isEmpty ? "" : " (\(fields))")
    }

    /// The inverter as the sink last heard it.
    public var inverter: InverterReport { condition.withLock { report } }

    public var counters: [SinkCounter] {
        let (r, sets, errors) = condition.withLock { (report, self.sets, sendErrors) }
        let now = MonotonicClock.nowMs()
        var out = [
            SinkCounter("can_frame_sets_total", "Frame sets sent to the inverter", Double(sets)),
            SinkCounter("can_send_errors_total", "Frames that could not be sent", Double(errors)),
            SinkCounter("can_link_up", "1 while the CAN link is open", condition.withLock { linkUp } ? 1 : 0, kind: .gauge),
            SinkCounter("inverter_seen", "1 when the inverter was heard within inverter_timeout", r.lastSeenMs.map { now &- $0 <= UInt64(settings.inverterTimeout.milliseconds) ? 1 : 0 } ?? 0, kind: .gauge),
            SinkCounter("inverter_frames_total", "Frames received from the inverter", Double(r.frames)),
        ]
        if let ms = r.lastSeenMs {
            out.append(SinkCounter("inverter_last_seen_age_seconds", "Seconds since the inverter was last heard (a CAN frame, an RS485 request)", Double(now &- ms) / 1000, kind: .gauge))
        }
        return out
    }

    public var status: JSONValue? {
        let r = inverter
        var o = JSONObject()
        o["bank"] = .string(bankConfig.id)
        o["link"] = .string(link.endpoint)
        o["link_up"] = .bool(condition.withLock { linkUp })
        o["inverter"] = r.json(profile: settings.profile, nowMs: MonotonicClock.nowMs())
        o["summary"] = .string(summary(r))
        return .object(o)
    }
}
