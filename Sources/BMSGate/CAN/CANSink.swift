import Foundation
import Logging

/// The `can` sink: one bank as a battery on a CAN bus. Its own thread sends the profile's
/// frame set every `period` for as long as the gateway runs (an inverter must never see a
/// battery that silently vanished), always with the bank's current limits and their
/// failsafe (stale or alarmed packs give 0 A and the enable bits off; so does a snapshot
/// older than the bank's `stale_after`, should the gateway itself stall). At shutdown it
/// sends a last set with both currents at 0 A. Between sets it reads what the inverter
/// sends. A link that cannot be opened (no SocketCAN, no adapter) is one clear error in the
/// log; the sink keeps trying and the rest of the site runs on. A link that takes no frames
/// (a stalled adapter, nobody reading) is **stalled**: what is queued is dropped, never
/// sent late, the drop is counted, and every period the current set is tried again.
public final class CANSink: Sink, @unchecked Sendable {
    public let name: String
    let settings: CANSinkSettings
    let bankConfig: BankConfig
    let logger: Logger
    let link: any CANLink
    /// The simulated inverter of `device: sim`.
    public let simulator: InverterSimulator?
    private let condition = MonotonicCondition()
    /// The frame set's values now (the publisher posts, the sink thread sends).
    private let state: InverterLinkState<CANBatteryState>
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
    /// Since when the link takes no frames (monotonic ms); nil while it drains.
    private var stalledSinceMs: UInt64?
    /// Frame sets dropped (not sent) because the link took nothing within the bound.
    private var droppedSets = 0
    /// Error answers (BEL) from an SLCAN adapter so far, as the sink thread last read them.
    private var adapterErrors = 0
    /// When the last whole set went out (monotonic ms).
    private var lastSetMs: UInt64?
    /// Sets that went in since the link stalled (or last dropped one).
    private var setsWhileStalled = 0
    /// With an inverter never heard on the link, this many sets in a row taken while
    /// stalled count as the link draining again.
    static let stallRecoverySets = 10

    /// Starts sending for `bank` (the first sets carry 0 A until a snapshot arrives).
    public init(settings: CANSinkSettings, bank: BankConfig, logger: Logger, clock: any GatewayClock = SystemClock()) throws {
        self.settings = settings
        bankConfig = bank
        self.logger = logger
        var initial = CANBatteryState(noData: .noData(bank), modules: bank.packs.count)
        initial.command = initial.command.gatewayStalled
        state = InverterLinkState(initial: initial, staleAfter: bank.staleAfter, clock: clock)
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
        link.sendTimeoutMs = Int(Self.sendBound(settings.period).milliseconds)
        let endpoint = simulator.map { "simulated inverter on \($0.path)" } ?? link.endpoint
        name = "can \(settings.profile.rawValue) \(endpoint) (bank \(bank.id))"
        simulator?.start()
        running = true
        let t = WorkerThread(name: "can-sink") { [self] in loop() }
        thread = t
        t.start()
    }

    /// Encodes the bank's command for the next frame set: short work, on the publisher's
    /// thread (no queue, no second thread).
    public func write(_ snapshot: Snapshot) {
        guard let b = snapshot.banks.firstIndex(where: { $0.id == bankConfig.id }) else { return }
        guard state.bankChanged(b, in: snapshot) else { return state.touch() }
        let bank = snapshot.banks[b]
        let packs = snapshot.packs.filter { bank.packs.contains($0.id) }
        let next = CANBatteryState(command: bank.command, bank: bank, packs: packs)
        var stalled = next
        stalled.command = next.command.gatewayStalled
        state.post(next, stalled: stalled)
    }

    public var writesInline: Bool { true }

    public func close() {
        condition.withLock { running = false }
        condition.broadcast()
        _ = thread?.join(timeout: .seconds(5))
        thread = nil
        simulator?.stop()
    }

    /// How long one frame may wait for room on the link: one period, at most a second (so
    /// the final set and shutdown stay bounded whatever the period).
    static func sendBound(_ period: Duration) -> Duration { min(period, .seconds(1)) }

    /// The state to send at `nowMs`: the latest, or its `gatewayStalled` twin when the
    /// gateway stopped producing commands (`InverterLinkState`, the stall rule of every link).
    func currentState(nowMs: UInt64) -> CANBatteryState { state.current(nowMs: nowMs) }

    private func loop() {
        let periodMs = UInt64(settings.period.milliseconds)
        var next = MonotonicClock.nowMs()
        var retryAtMs: UInt64 = 0
        while condition.withLock({ running }) {
            if !link.isOpen, MonotonicClock.nowMs() >= retryAtMs {
                open()
                retryAtMs = MonotonicClock.nowMs() + 2000
            }
            let errors = (link as? SLCANLink)?.errors ?? 0
            condition.withLock {
                linkUp = link.isOpen
                adapterErrors = errors
            }
            // The clock is read after the open (which can take a while): the set carries
            // the command as it is now.
            if link.isOpen { _ = sendSet(currentState(nowMs: MonotonicClock.nowMs())) }
            next += periodMs
            if next + periodMs < MonotonicClock.nowMs() { next = MonotonicClock.nowMs() }  // fell far behind: start over
            listen(untilMs: next)
            checkInverterSilence()
        }
        // The last word: both currents 0 A, nothing enabled.
        if link.isOpen {
            if sendSet(currentState(nowMs: MonotonicClock.nowMs()).stopped) {
                logger.info("\(name): sent the final frame set (0 A both ways)")
            } else {
                logger.error("\(name): the final frame set (0 A both ways) could not be sent: the link is stuck")
            }
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

    /// Sends one set; false when it could not go out whole (link failed or stalled).
    private func sendSet(_ state: CANBatteryState) -> Bool {
        let set = settings.profile.frames(state, quirks: Set(settings.quirks), manufacturer: settings.manufacturer, name: settings.name)
        if set.clamped != lastClamped {
            for note in set.clamped { logger.warning("\(name): clamped to the profile's range: \(note)") }
            lastClamped = set.clamped
        }
        // While stalled, what the last period queued is dropped before the current set goes
        // in: the link holds at most one set, the newest, when its reader comes back.
        if condition.withLock({ stalledSinceMs != nil }) { link.dropQueued() }
        // An adapter that still holds bytes of the previous set a period later is not
        // draining: drop them rather than let this set queue behind them.
        else if let last = lastSetMs, MonotonicClock.nowMs().saturatingAge(since: last) >= UInt64(settings.period.milliseconds),
           link.pendingOutput > 0 {
            link.dropQueued()
            stalled(TransportError("\(link.endpoint): the adapter has not sent the previous frame set", stalled: true))
            return false
        }
        let gap = settings.profile.minimumGapMs
        for frame in set.frames {
            do {
                try link.send(frame)
            } catch {
                condition.withLock { sendErrors += 1 }
                if error.stalled {
                    stalled(error)
                    return false
                }
                if !link.isOpen {
                    if !linkDown { logger.error("\(name): \(error) — reopening") }
                    linkDown = true
                    return false
                }
            }
            // The gap also follows the last frame: the next set must not come closer.
            if gap > 0 { listen(untilMs: MonotonicClock.nowMs() + UInt64(gap)) }
        }
        let now = MonotonicClock.nowMs()
        lastSetMs = now
        let recovered = condition.withLock { () -> (seconds: Double, dropped: Int)? in
            sets += 1
            guard let since = stalledSinceMs else { return nil }
            // A link that took this set may only have made room by the flush: it drains
            // again once the inverter is heard after the stall began, or, for an inverter
            // never heard on this link, after `stallRecoverySets` sets in a row went in.
            setsWhileStalled += 1
            if let heard = report.lastSeenMs {
                guard heard > since else { return nil }
            } else if setsWhileStalled < Self.stallRecoverySets {
                return nil
            }
            stalledSinceMs = nil
            return (Double(now.saturatingAge(since: since)) / 1000, droppedSets)
        }
        if let recovered {
            logger.warning("\(name): the link drains again after \(String(format: "%.1f", recovered.seconds)) s stalled (\(recovered.dropped) frame sets dropped so far, none sent late)")
        }
        return true
    }

    /// The link took nothing within the bound: what was queued is already dropped.
    private func stalled(_ error: TransportError) {
        let first = condition.withLock { () -> Bool in
            droppedSets += 1
            setsWhileStalled = 0
            guard stalledSinceMs == nil else { return false }
            stalledSinceMs = MonotonicClock.nowMs()
            return true
        }
        if first {
            logger.error("\(name): \(error.message) — the link is STALLED: frame sets are dropped, never sent late, and the current one is tried every period")
        }
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
        if now.saturatingAge(since: last) > limit, !warnedSilent {
            warnedSilent = true
            logger.warning("\(name): no frame from the inverter for \(limit / 1000) s (is it connected, and set to this battery protocol?)")
        }
    }

    /// One line for the terminal table.
    func summary(_ r: InverterReport) -> String {
        let (up, stalledMs, dropped) = condition.withLock { (linkUp, stalledSinceMs, droppedSets) }
        guard up else { return "LINK DOWN: no frames reach the inverter (see the log)" }
        if let stalledMs {
            let age = Double(MonotonicClock.nowMs().saturatingAge(since: stalledMs)) / 1000
            return String(format: "LINK STALLED for %.0f s: the link takes no frames, %d sets dropped (see the log)", age, dropped)
        }
        guard let ms = r.lastSeenMs else { return "sending; inverter NOT HEARD yet" }
        let age = Double(MonotonicClock.nowMs().saturatingAge(since: ms)) / 1000
        let fields = r.fields.keys.sorted().map { "\($0) \(JSONValue.numberText(r.fields[$0]!))" }.joined(separator: ", ")
        let heard = age > settings.inverterTimeout.seconds ? "inverter SILENT for \(Int(age)) s" : String(format: "inverter heard %.1f s ago", age)
        return "sending; \(heard), \(r.frames) frames" + (fields.isEmpty ? "" : " (\(fields))")
    }

    /// The inverter as the sink last heard it.
    public var inverter: InverterReport { condition.withLock { report } }

    public var counters: [SinkCounter] {
        let (r, sets, errors, up, stalled, dropped) = condition.withLock {
            (report, self.sets, sendErrors, linkUp, stalledSinceMs != nil, droppedSets)
        }
        let now = MonotonicClock.nowMs()
        var out = [
            SinkCounter("can_frame_sets_total", "Frame sets sent to the inverter", Double(sets)),
            SinkCounter("can_send_errors_total", "Frames that could not be sent", Double(errors)),
            SinkCounter("can_link_up", "1 while the CAN link is open and takes frames", up && !stalled ? 1 : 0, kind: .gauge),
            SinkCounter("can_link_stalled", "1 while the CAN link is open but takes no frames", stalled ? 1 : 0, kind: .gauge),
            SinkCounter("can_dropped_sets_total", "Frame sets dropped, not sent late, because the link took nothing", Double(dropped)),
            SinkCounter("can_adapter_errors_total", "Error answers (BEL) from the SLCAN adapter", Double(condition.withLock { adapterErrors })),
            SinkCounter("inverter_seen", "1 when the inverter was heard within inverter_timeout", r.lastSeenMs.map { now.saturatingAge(since: $0) <= UInt64(settings.inverterTimeout.milliseconds) ? 1 : 0 } ?? 0, kind: .gauge),
            SinkCounter("inverter_frames_total", "Frames received from the inverter", Double(r.frames)),
        ]
        if let ms = r.lastSeenMs {
            out.append(SinkCounter("inverter_last_seen_age_seconds", "Seconds since the inverter was last heard (a CAN frame, an RS485 request)", Double(now.saturatingAge(since: ms)) / 1000, kind: .gauge))
        }
        return out
    }

    public var status: JSONValue? {
        let r = inverter
        var o = JSONObject()
        o["bank"] = .string(bankConfig.id)
        o["link"] = .string(link.endpoint)
        let (up, stalledMs, dropped) = condition.withLock { (linkUp, stalledSinceMs, droppedSets) }
        o["link_up"] = .bool(up && stalledMs == nil)
        o["stalled"] = .bool(stalledMs != nil)
        if let stalledMs { o["stalled_seconds"] = .number(Double(MonotonicClock.nowMs().saturatingAge(since: stalledMs)) / 1000) }
        o["dropped_sets"] = .number(Double(dropped))
        o["adapter_errors"] = .number(Double(condition.withLock { adapterErrors }))
        o["inverter"] = r.json(profile: settings.profile, nowMs: MonotonicClock.nowMs())
        o["summary"] = .string(summary(r))
        return .object(o)
    }
}
