import CBMSDriver
import Foundation
import Logging

/// Why a poll failed, classified for the per-pack counters.
public struct PollFailure: Error, Sendable, CustomStringConvertible {
    /// The class of failure.
    public enum Kind: String, Sendable {
        case timeout, checksum, frame, io, device, config, unsupported, forbidden
        /// The bus's command queue is full.
        case busy
    }
    public var kind: Kind
    public var message: String
    /// The HTTP status a driver asked for in its error answer (`{"error": ..., "status": 404}`).
    public var httpStatus: Int?
    public var description: String { message }

    /// Maps an ABI status and reason.
    init(status: Int32, message: String) {
        switch status {
        case BMS_ERR_TIMEOUT.rawValue: kind = .timeout
        case BMS_ERR_CHECKSUM.rawValue: kind = .checksum
        case BMS_ERR_FRAME.rawValue: kind = .frame
        case BMS_ERR_IO.rawValue: kind = .io
        case BMS_ERR_INVALID.rawValue: kind = .config
        case BMS_ERR_UNSUPPORTED.rawValue: kind = .unsupported
        default: kind = .device
        }
        self.message = message
    }

    /// A failure of `kind`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}

/// One pack's driver instance on a bus: opens it on demand, polls it within the pack's
/// time budget, and drops it after a transport failure so the next poll starts fresh.
/// Used from the bus thread only.
final class DriverSession {
    let driver: LoadedDriver
    let pack: PackConfig
    let hostLink: HostLink
    private var instance: UnsafeMutableRawPointer?
    private let buffer = ReadingBuffer()
    /// The identity read after the last open.
    private(set) var identity = PackIdentity()

    init(driver: LoadedDriver, pack: PackConfig, bus: BusConfig, transport: ByteTransport, transportKind: UInt32, logger: Logger) {
        self.driver = driver
        self.pack = pack
        self.hostLink = HostLink(transport: transport, transportKind: transportKind, address: pack.address,
                                 timeoutMs: UInt32(max(1, pack.timeout.milliseconds)), logger: logger,
                                 busID: bus.id, busDevice: bus.device)
    }

    deinit { close() }

    /// The poll time budget: enough for the driver's start-up exchanges, never unbounded.
    private var budgetMs: UInt64 { UInt64(pack.timeout.milliseconds) * 8 }

    private func open() throws(PollFailure) {
        var options = pack.options.map { ($0.key, $0.value) }
        options.append(("allow_writes", pack.allowWrites ? "true" : "false"))
        var handle: UnsafeMutableRawPointer?
        hostLink.transportFailure = nil
        let rc = COptions.with(options) { list, count in driver.table.pointee.open(hostLink.link, list, count, &handle) }
        guard rc == BMS_OK.rawValue, let handle else {
            throw PollFailure(status: rc, message: hostLink.transportFailure ?? "driver '\(driver.id)' could not open pack '\(pack.id)' (status \(rc))")
        }
        instance = handle
        identity = PackIdentity()
    }

    /// Starts an operation: sets its time budget, opens the driver instance when needed.
    private func begin(budgetMs: UInt64) -> PollFailure? {
        hostLink.budgetDeadline = MonotonicClock.nowMs() + budgetMs
        do {
            if instance == nil { try open() }
        } catch {
            return error
        }
        hostLink.transportFailure = nil
        return nil
    }

    /// Polls once. On success the reading carries the identity. `probeMs` > 0 makes it a
    /// probe of a pack that stopped answering: it must start answering that soon. The
    /// reading is stamped with the wall time its answer was complete (`time` overrides
    /// it): its age is the age of the data, not of the request.
    func poll(at time: Date? = nil, probeMs: UInt64 = 0) -> Result<Reading, PollFailure> {
        defer { hostLink.beginOperation(probeMs: 0); hostLink.budgetDeadline = 0 }
        hostLink.beginOperation(probeMs: probeMs)
        if let failure = begin(budgetMs: budgetMs) { return .failure(failure) }
        buffer.reset()
        let rc = driver.table.pointee.poll(instance, buffer.reading)
        if rc != BMS_OK.rawValue && rc != BMS_ERR_BUFFER.rawValue {
            if hostLink.probeExpired && hostLink.transportFailure == nil {
                return .failure(PollFailure(.timeout, "no answer (still silent: nothing within the \(probeMs) ms probe)"))
            }
            let reason = hostLink.transportFailure ?? (buffer.error.isEmpty ? "poll failed (status \(rc))" : buffer.error)
            let failure = PollFailure(status: hostLink.transportFailure != nil ? BMS_ERR_IO.rawValue : rc, message: reason)
            if failure.kind == .io { close() }
            return .failure(failure)
        }
        var reading = buffer.makeReading(pack: pack.id, driver: driver.id, time: time ?? Date())
        if identity.isEmpty, let identify = driver.table.pointee.identify {
            var c = PackIdentity.emptyC()
            if identify(instance, &c) == BMS_OK.rawValue { identity = PackIdentity(c) }
        }
        reading.identity = identity
        return .success(reading)
    }

    /// Runs a vendor operation (the driver's `command`, a JSON request) and returns its
    /// JSON answer. Writes are the driver's to refuse unless the pack allows them.
    func command(_ request: String) -> Result<String, PollFailure> {
        guard let command = driver.table.pointee.command else {
            return .failure(PollFailure(.unsupported, "driver '\(driver.id)' has no commands"))
        }
        defer { hostLink.budgetDeadline = 0 }
        if let failure = begin(budgetMs: budgetMs * 4) { return .failure(failure) }
        var capacity = 64 << 10
        var retried = false
        while true {
            var response = [CChar](repeating: 0, count: capacity)
            var length = 0
            let rc = response.withUnsafeMutableBufferPointer { command(instance, request, $0.baseAddress, $0.count, &length) }
            // BMS_ERR_BUFFER: `length` is the size needed; one retry with that much room.
            if rc == BMS_ERR_BUFFER.rawValue && !retried && length > capacity && length <= 64 << 20 {
                capacity = length
                retried = true
                continue
            }
            if rc == BMS_ERR_BUFFER.rawValue {
                return .failure(PollFailure(.device, "the driver's answer does not fit (\(length) bytes asked, \(capacity) given)"))
            }
            let text = String(decoding: response.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard rc == BMS_OK.rawValue else {
                if let io = hostLink.transportFailure {
                    close()
                    return .failure(PollFailure(.io, io))
                }
                let kind: PollFailure.Kind = rc == BMS_ERR_FORBIDDEN.rawValue ? .forbidden : PollFailure(status: rc, message: "").kind
                // Drivers answer {"error": "...", "status": 404?}: keep the reason (and status).
                let answer = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
                var failure = PollFailure(kind, answer?["error"] as? String ?? (text.isEmpty ? "command failed (status \(rc))" : text))
                failure.httpStatus = answer?["status"] as? Int
                return .failure(failure)
            }
            return .success(text)
        }
    }

    /// Releases the driver instance (it is reopened by the next poll).
    func close() {
        if let instance { driver.table.pointee.close(instance) }
        instance = nil
    }
}
