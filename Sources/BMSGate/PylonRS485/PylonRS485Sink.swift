import Foundation
import Logging
import PylonCodec

/// The `pylon-rs485` sink: the bank answers an RS485 inverter as a Pylontech battery. Its
/// own thread reads requests (serial port, pty, or up to four TCP clients at once, see
/// `PylonTCPClients`) and answers each from the latest snapshot; the failsafe reaches the
/// inverter through 0x92 (status bits off, currents 0) since some inverters never ask 0x44.
/// A port that cannot be opened is one error in the log, retried every 2 s, and the rest of
/// the site runs on. An answer the serial line has not taken within `writeTimeout` is
/// dropped (flushed, counted), never sent late.
public final class PylonRS485Sink: Sink, Sendable {
    public let name: String
    let settings: PylonRS485Settings
    let bankConfig: BankConfig
    let logger: Logger
    /// What to answer now (the publisher posts, the sink thread answers).
    private let view: InverterLinkState<PylonBankView>
    /// What the sink thread counts and other threads read (/metrics, /api/sinks).
    private struct State {
        var running = true
        var answered = 0
        var errors = 0
        var lastRequestMs: UInt64?
        /// The TCP clients' counters and list as the sink thread last saw them.
        var tcpStats = PylonTCPClients.Stats()
        var tcpClients: [PylonTCPClients.ClientInfo] = []
        /// Answers dropped because the serial line took nothing within the bound.
        var droppedAnswers = 0
        var stalledSinceMs: UInt64?
        var lastDropMs: UInt64 = 0
    }
    private let state = Locked(State())
    private let thread = Locked<WorkerThread?>(nil)
    /// The listening socket of `listen:` (-1: none, or closed).
    private let listenFD: Locked<Int32>
    /// A stalled line that took every answer for this long drains again.
    static let stallRecovery: Duration = .seconds(10)
    /// How long the serial line may take to accept an answer.
    static let writeTimeout: Duration = .seconds(1)
    /// The polling inverter of `device: sim`.
    let simulator: PylonInverterSimulator?

    public init(settings: PylonRS485Settings, bank: BankConfig, logger: Logger, clock: any GatewayClock = SystemClock()) throws {
        self.settings = settings
        bankConfig = bank
        self.logger = logger
        view = InverterLinkState(initial: .empty(command: .noData(bank), settings: settings, bank: bank), staleAfter: bank.staleAfter, clock: clock)
        switch settings.link {
        case .device(let path, let baud):
            name = "pylon-rs485 \(path) \(baud) (bank \(bank.id))"
            simulator = nil
            listenFD = Locked(-1)
        case .listen(let host, let port):
            let fd = try TCPListener.listen(host: host, port: port)
            listenFD = Locked(fd)
            // The port it got (port 0: the kernel's choice), said once.
            let bound = TCPListener.boundPort(fd)
            name = "pylon-rs485 tcp \(host):\(bound) (bank \(bank.id))"
            logger.info("pylon-rs485 listening on \(host):\(bound) for bank \(bank.id) (up to \(PylonTCPClients.maxClients) clients)")
            simulator = nil
        case .simulated:
            let sim = try PylonInverterSimulator()
            simulator = sim
            name = "pylon-rs485 simulated inverter on \(sim.path) (bank \(bank.id))"
            listenFD = Locked(-1)
            sim.start()
        }
        let t = WorkerThread(name: "pylon-rs485") { [self] in serve() }
        thread.set(t)
        t.start()
    }

    /// Encodes the bank's command for the next answers: short work, on the publisher's
    /// thread (no queue, no second thread).
    public func write(_ snapshot: Snapshot) {
        guard let b = snapshot.banks.firstIndex(where: { $0.id == bankConfig.id }) else { return }
        guard view.bankChanged(b, in: snapshot) else { return view.touch() }
        let bank = snapshot.banks[b]
        let packs = bankConfig.packs.compactMap { id in snapshot.packs.first { $0.id == id } }
        let next = PylonBankView(command: bank.command, bank: bank, packs: packs, settings: settings, config: bankConfig)
        view.post(next, stalled: PylonBankView.empty(command: bank.command.gatewayStalled, settings: settings, bank: bankConfig))
    }

    public var writesInline: Bool { true }

    /// The view to answer from: the latest, or the gateway-stalled one (0 A, nothing
    /// enabled) when the gateway stopped producing commands (`InverterLinkState`).
    func currentView() -> PylonBankView { view.current() }

    public func close() {
        state.update { $0.running = false }
        _ = thread.value?.join(timeout: .seconds(5))
        thread.set(nil)
        simulator?.stop()
        let fd = listenFD.update { fd -> Int32 in
            defer { fd = -1 }
            return fd
        }
        if fd >= 0 { Glibc.close(fd) }
    }

    private var isRunning: Bool { state.value.running }

    private func serve() {
        if case .listen = settings.link {
            serveTCP()
            return
        }
        var failing = false
        while isRunning {
            let port: SerialPort?
            switch settings.link {
            case .device(let path, let baud):
                port = SerialPort(settings: SerialSettings(device: path, baud: baud), defaultBaud: baud)
            case .simulated:
                port = simulator.map { SerialPort(settings: SerialSettings(device: $0.path, baud: 9600), defaultBaud: 9600) }
            case .listen:
                port = nil
            }
            guard let transport = port else { continue }
            transport.writeTimeoutMs = Int(Self.writeTimeout.milliseconds)
            do {
                try transport.open()
                if failing { logger.warning("\(name): open again") }
                failing = false
                session(transport)
            } catch {
                if !failing { logger.error("\(name): \(error) — the inverter gets no answers until this is fixed (retrying every 2 s)") }
                failing = true
                sleepWhileRunning(ms: 2000)
            }
            transport.close()
        }
    }

    /// Answers requests on an open transport until it fails or the sink stops.
    private func session(_ transport: SerialPort) {
        var splitter = PylonFrameSplitter()
        var buffer = [UInt8](repeating: 0, count: 1024)
        while isRunning {
            var failure: TransportError?
            let n = buffer.withUnsafeMutableBytes { raw -> Int in
                do throws(TransportError) { return try transport.read(into: raw, timeoutMs: 200) } catch {
                    failure = error
                    return 0
                }
            }
            if let failure {
                logger.warning("\(name): \(failure)")
                return
            }
            guard n > 0 else { continue }
            for request in splitter.feed(buffer[0..<n]) {
                let answer = PylonResponder.answer(request, view: currentView(), settings: settings)
                let ok = answer.count > 8 && answer[7] == 0x30 && answer[8] == 0x30
                let now = MonotonicClock.nowMs()
                state.update { s in
                    if ok { s.answered += 1 } else { s.errors += 1 }
                    s.lastRequestMs = now
                }
                // While stalled, what an earlier answer left queued is dropped first: the line
                // holds at most the newest answer when the inverter reads again.
                if state.value.stalledSinceMs != nil { transport.flushOutput() }
                var writeFailure: TransportError?
                answer.withUnsafeBytes { raw in
                    do throws(TransportError) { try transport.write(raw) } catch { writeFailure = error }
                }
                if let writeFailure, writeFailure.stalled {
                    // Flushed by the port: the inverter gets the next answer, not this one late.
                    let dropMs = MonotonicClock.nowMs()
                    let first = state.update { s -> Bool in
                        s.droppedAnswers += 1
                        s.lastDropMs = dropMs
                        defer { if s.stalledSinceMs == nil { s.stalledSinceMs = dropMs } }
                        return s.stalledSinceMs == nil
                    }
                    if first { logger.error("\(name): \(writeFailure.message) — the line is STALLED: answers are dropped, never sent late") }
                    continue
                }
                if let writeFailure {
                    logger.warning("\(name): \(writeFailure)")
                    return
                }
                // A write that went in may only have found room through the flush: the line
                // drains again once it took every answer for `stallRecovery`.
                let wroteMs = MonotonicClock.nowMs()
                let stalledFor = state.update { s -> UInt64? in
                    guard let since = s.stalledSinceMs, wroteMs.saturatingAge(since: s.lastDropMs) >= UInt64(Self.stallRecovery.milliseconds) else { return nil }
                    s.stalledSinceMs = nil
                    return wroteMs.saturatingAge(since: since)
                }
                if let stalledFor { logger.warning("\(name): the line takes answers again after \(stalledFor / 1000) s stalled") }
            }
        }
    }

    /// Serves the TCP clients until the sink stops.
    private func serveTCP() {
        let clients = PylonTCPClients(listenFD: listenFD.value, name: name, logger: logger)
        while isRunning {
            clients.step(timeoutMs: 200) { request in
                let answer = PylonResponder.answer(request, view: currentView(), settings: settings)
                let ok = answer.count > 8 && answer[7] == 0x30 && answer[8] == 0x30
                let now = MonotonicClock.nowMs()
                state.update { s in
                    if ok { s.answered += 1 } else { s.errors += 1 }
                    s.lastRequestMs = now
                }
                return answer
            }
            let (stats, info) = (clients.stats, clients.info)
            state.update { s in
                s.tcpStats = stats
                s.tcpClients = info
            }
        }
        clients.closeAll()
    }

    private func sleepWhileRunning(ms: Int) {
        let until = MonotonicClock.nowMs() + UInt64(ms)
        while isRunning, MonotonicClock.nowMs() < until { MonotonicClock.sleep(ms: 100) }
    }

    public var counters: [SinkCounter] {
        let s = state.value
        let (a, e, last, tcp, open, dropped, stalled) = (s.answered, s.errors, s.lastRequestMs, s.tcpStats, s.tcpClients.count, s.droppedAnswers, s.stalledSinceMs != nil)
        var out = [
            SinkCounter("pylon_answers_total", "Requests answered with data", Double(a)),
            SinkCounter("pylon_error_answers_total", "Requests answered with an error code", Double(e)),
        ]
        if case .listen = settings.link {
            out += SinkCounter.connections(open: open, accepted: tcp.accepted, evicted: tcp.displaced, refused: tcp.refused)
            out.append(SinkCounter("pylon_write_timeouts_total", "TCP clients closed because they took no answer in time", Double(tcp.writeTimeouts)))
        } else {
            out.append(SinkCounter("pylon_dropped_answers_total", "Answers dropped, not sent late, because the line took nothing", Double(dropped)))
            out.append(SinkCounter("pylon_line_stalled", "1 while the serial line takes no answers", stalled ? 1 : 0, kind: .gauge))
        }
        if let last {
            out.append(SinkCounter("inverter_last_seen_age_seconds", "Seconds since the inverter was last heard (a CAN frame, an RS485 request)", Double(MonotonicClock.nowMs().saturatingAge(since: last)) / 1000, kind: .gauge))
        }
        return out
    }

    public var status: JSONValue? {
        let s = state.value
        let (a, last, tcp, clients, stalledMs, dropped) = (s.answered, s.lastRequestMs, s.tcpStats, s.tcpClients, s.stalledSinceMs, s.droppedAnswers)
        var o = JSONObject()
        o["bank"] = .string(bankConfig.id)
        o["modules"] = .string(settings.modules.rawValue)
        o["answered"] = .number(Double(a))
        if case .listen = settings.link {
            o["clients"] = .array(clients.map { c in
                var j = JSONObject()
                j["peer"] = .string(c.peer)
                j["connected"] = .string(ISOTime.format(c.connectedAt))
                j["connected_seconds"] = .number((c.connectedSeconds * 10).rounded() / 10)
                j["requests"] = .number(Double(c.requests))
                j["idle_seconds"] = .number((c.idleSeconds * 10).rounded() / 10)
                return .object(j)
            })
            o["max_clients"] = .number(Double(PylonTCPClients.maxClients))
            o["displaced"] = .number(Double(tcp.displaced))
            o["refused"] = .number(Double(tcp.refused))
            o["write_timeouts"] = .number(Double(tcp.writeTimeouts))
        } else {
            o["stalled"] = .bool(stalledMs != nil)
            o["dropped_answers"] = .number(Double(dropped))
        }
        if let last {
            let age = Double(MonotonicClock.nowMs().saturatingAge(since: last)) / 1000
            o["inverter_last_request_age_seconds"] = .number(age)
            o["summary"] = .string(String(format: "inverter asked %.1f s ago, %d answers", age, a) + Self.linkNote(clients: clients, tcp: settings.link, stalledMs: stalledMs))
        } else {
            o["summary"] = .string("no request from the inverter yet" + Self.linkNote(clients: clients, tcp: settings.link, stalledMs: stalledMs))
        }
        return .object(o)
    }

    /// ", 2 TCP clients" or ", LINE STALLED" for the summary line.
    static func linkNote(clients: [PylonTCPClients.ClientInfo], tcp link: PylonRS485Settings.Link, stalledMs: UInt64?) -> String {
        if case .listen = link { return ", \(clients.count) TCP client\(clients.count == 1 ? "" : "s")" }
        return stalledMs == nil ? "" : ", LINE STALLED: answers dropped (see the log)"
    }
}
