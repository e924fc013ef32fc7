import Foundation
import Logging
import PylonCodec

/// The `pylon-rs485` sink: the bank answers an RS485 inverter as a Pylontech battery. Its
/// own thread reads requests (serial port, pty, or one TCP client at a time) and answers
/// each from the latest snapshot; the failsafe reaches the inverter through 0x92 (status
/// bits off, currents 0) since some inverters never ask 0x44. A port that cannot be opened
/// is one error in the log, retried every 2 s, and the rest of the site runs on.
public final class PylonRS485Sink: Sink, @unchecked Sendable {
    public let name: String
    let settings: PylonRS485Settings
    let bankConfig: BankConfig
    let logger: Logger
    private let condition = MonotonicCondition()
    private var view: PylonBankView
    private var viewMs: UInt64 = 0
    private var running = true
    private var thread: WorkerThread?
    private var answered = 0
    private var errors = 0
    private var lastRequestMs: UInt64?
    private var listenFD: Int32 = -1
    /// The polling inverter of `device: sim`.
    let simulator: PylonInverterSimulator?

    public init(settings: PylonRS485Settings, bank: BankConfig, logger: Logger) throws {
        self.settings = settings
        bankConfig = bank
        self.logger = logger
        view = .empty(settings: settings, bank: bank)
        switch settings.link {
        case .device(let path, let baud):
            name = "pylon-rs485 \(path) \(baud) (bank \(bank.id))"
            simulator = nil
        case .listen(let host, let port):
            listenFD = try ModbusTCPServer.listen(host: host, port: port)
            name = "pylon-rs485 tcp \(host):\(port) (bank \(bank.id))"
            simulator = nil
        case .simulated:
            let sim = try PylonInverterSimulator()
            simulator = sim
            name = "pylon-rs485 simulated inverter on \(sim.path) (bank \(bank.id))"
            sim.start()
        }
        let t = WorkerThread(name: "pylon-rs485") { [self] in serve() }
        thread = t
        t.start()
    }

    public func write(_ snapshot: Snapshot) {
        guard let bank = snapshot.banks.first(where: { $0.id == bankConfig.id }) else { return }
        let packs = bankConfig.packs.compactMap { id in snapshot.packs.first { $0.id == id } }
        let next = PylonBankView(bank: bank, packs: packs, settings: settings, config: bankConfig)
        condition.withLock {
            view = next
            viewMs = MonotonicClock.nowMs()
        }
    }

    /// The view to answer from: the latest, or the empty one (0 A, nothing enabled) when the
    /// gateway itself stalled past the bank's stale_after.
    func currentView() -> PylonBankView {
        condition.withLock {
            let maxAge = UInt64(bankConfig.staleAfter.milliseconds) + 1000
            return viewMs > 0 && MonotonicClock.nowMs() &- viewMs <= maxAge ? view : .empty(settings: settings, bank: bankConfig)
        }
    }

    public func close() {
        condition.withLock { running = false }
        _ = thread?.join(timeout: .seconds(5))
        thread = nil
        simulator?.stop()
        if listenFD >= 0 { Glibc.close(listenFD) }
        listenFD = -1
    }

    private var isRunning: Bool { condition.withLock { running } }

    private func serve() {
        var failing = false
        while isRunning {
            let transport: (any ByteTransport)?
            switch settings.link {
            case .device(let path, let baud):
                transport = SerialPort(settings: SerialSettings(device: path, baud: baud), defaultBaud: baud)
            case .simulated:
                transport = simulator.map { SerialPort(settings: SerialSettings(device: $0.path, baud: 9600), defaultBaud: 9600) }
            case .listen:
                transport = acceptClient()
            }
            guard let transport else { continue }
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
    private func session(_ transport: any ByteTransport) {
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
                condition.withLock {
                    if ok { answered += 1 } else { errors += 1 }
                    lastRequestMs = MonotonicClock.nowMs()
                }
                var writeFailure: TransportError?
                answer.withUnsafeBytes { raw in
                    do throws(TransportError) { try transport.write(raw) } catch { writeFailure = error }
                }
                if let writeFailure {
                    logger.warning("\(name): \(writeFailure)")
                    return
                }
            }
        }
    }

    /// Waits for an RS485 bridge to connect (one at a time); nil when none came yet.
    private func acceptClient() -> (any ByteTransport)? {
        var p = pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)
        guard listenFD >= 0, poll(&p, 1, 200) > 0 else { return nil }
        let fd = accept(listenFD, nil, nil)
        guard fd >= 0 else { return nil }
        return AcceptedSocket(fd: fd)
    }

    private func sleepWhileRunning(ms: Int) {
        let until = MonotonicClock.nowMs() + UInt64(ms)
        while isRunning, MonotonicClock.nowMs() < until { MonotonicClock.sleep(ms: 100) }
    }

    public var counters: [SinkCounter] {
        let (a, e, last) = condition.withLock { (answered, errors, lastRequestMs) }
        var out = [
            SinkCounter("pylon_answers_total", "Requests answered with data", Double(a)),
            SinkCounter("pylon_error_answers_total", "Requests answered with an error code", Double(e)),
        ]
        if let last {
            out.append(SinkCounter("inverter_last_seen_age_seconds", "Seconds since the inverter was last heard (a CAN frame, an RS485 request)", Double(MonotonicClock.nowMs() &- last) / 1000, kind: .gauge))
        }
        return out
    }

    public var status: JSONValue? {
        let (a, last) = condition.withLock { (answered, lastRequestMs) }
        var o = JSONObject()
        o["bank"] = .string(bankConfig.id)
        o["modules"] = .string(settings.modules.rawValue)
        o["answered"] = .number(Double(a))
        if let last {
            let age = Double(MonotonicClock.nowMs() &- last) / 1000
            o["inverter_last_request_age_seconds"] = .number(age)
            o["summary"] = .string(String(format: "inverter asked %.1f s ago, %d answers", age, a))
        } else {
            o["summary"] = .string("no request from the inverter yet")
        }
        return .object(o)
    }
}

/// One accepted TCP connection as a byte transport (it cannot be reopened).
final class AcceptedSocket: ByteTransport {
    private var fd: Int32
    init(fd: Int32) { self.fd = fd }
    deinit { close() }
    var endpoint: String { "tcp client" }
    var isOpen: Bool { fd >= 0 }
    func open() throws(TransportError) {
        guard fd >= 0 else { throw TransportError("the connection is closed") }
    }
    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
    func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        guard fd >= 0 else { throw TransportError("the connection is closed") }
        try FileDescriptorStream(fd: fd).writeAll(bytes, what: "tcp client")
    }
    func read(into buffer: UnsafeMutableRawBufferPointer, timeoutMs: Int) throws(TransportError) -> Int {
        guard fd >= 0 else { throw TransportError("the connection is closed") }
        return try FileDescriptorStream(fd: fd).read(into: buffer, timeoutMs: timeoutMs, what: "tcp client")
    }
    func discardInput() {}
}
