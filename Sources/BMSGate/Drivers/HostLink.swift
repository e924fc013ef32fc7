import CBMSDriver
import Foundation
import Logging

/// The host side of a `bms_link`: routes a driver's I/O to a transport, enforces the
/// poll's time budget (so a driver cannot hold the bus past it), logs with pack context.
final class HostLink {
    let transport: ByteTransport
    let logger: Logger
    /// Monotonic ms after which reads return "nothing" at once; 0 = no budget.
    var budgetDeadline: UInt64 = 0
    /// Set when the transport failed during the current operation.
    var transportFailure: String?
    /// A probe of a silent pack: when set, the device must start answering within this many
    /// ms of the first write, or reads return "nothing" at once (a dead pack then costs the
    /// line this long, not the full timeout). 0 = no probe.
    var probeMs: UInt64 = 0
    /// When the probe's first write went out, and whether any byte came back since.
    private var probeDeadline: UInt64 = 0
    private var probeAnswered = false
    /// True when the current probe ended because the device did not start answering.
    private(set) var probeExpired = false

    /// Starts an operation (a probe when `probeMs` > 0).
    func beginOperation(probeMs: UInt64) {
        self.probeMs = probeMs
        probeDeadline = 0
        probeAnswered = false
        probeExpired = false
    }
    let link = UnsafeMutablePointer<bms_link>.allocate(capacity: 1)
    private let address: UnsafeMutablePointer<CChar>
    private let busID: UnsafeMutablePointer<CChar>
    private let busDevice: UnsafeMutablePointer<CChar>

    /// A link for a pack at `address` on the bus `busID` (`busDevice`: what the bus is, e.g. "/dev/i2c-1").
    init(transport: ByteTransport, transportKind: UInt32, address: String, timeoutMs: UInt32, logger: Logger,
         busID: String = "", busDevice: String = "") {
        self.transport = transport
        self.logger = logger
        self.address = strdup(address)
        self.busID = strdup(busID)
        self.busDevice = strdup(busDevice)
        var l = bms_link()
        l.struct_size = UInt32(MemoryLayout<bms_link>.size)
        l.transport = transportKind
        l.address = UnsafePointer(self.address)
        l.bus_id = UnsafePointer(self.busID)
        l.bus_device = UnsafePointer(self.busDevice)
        l.timeout_ms = timeoutMs
        l.write = { ctx, data, len in
            let me = HostLink.from(ctx)
            if me.probeMs > 0 && me.probeDeadline == 0 { me.probeDeadline = MonotonicClock.nowMs() + me.probeMs }
            do throws(TransportError) {
                try me.transport.write(UnsafeRawBufferPointer(start: data, count: len))
                return Int32(len)
            } catch {
                me.transportFailure = error.message
                return BMS_ERR_IO.rawValue
            }
        }
        l.read = { ctx, buffer, cap, timeout in
            HostLink.from(ctx).read(into: buffer, cap: cap, timeoutMs: Int(timeout))
        }
        l.read_at_least = { ctx, buffer, min, cap, timeout in
            HostLink.from(ctx).read(into: buffer, atLeast: min, cap: cap, timeoutMs: Int(timeout))
        }
        l.flush = { ctx in
            HostLink.from(ctx).transport.discardInput()
            return BMS_OK.rawValue
        }
        l.i2c_transfer = transport is I2CTransport ? { ctx, address, wdata, wlen, rdata, rlen, flags in
            let me = HostLink.from(ctx)
            guard let bus = me.transport as? I2CTransport else { return BMS_ERR_UNSUPPORTED.rawValue }
            let write = wdata.map { Array(UnsafeBufferPointer(start: $0, count: wlen)) } ?? []
            let pec = flags & BMS_I2C_PEC.rawValue != 0
            do throws(TransportError) {
                let address7 = UInt8(address & 0x7F)
                let sent = pec && rlen == 0 ? write + [SMBusPEC.crc8([address7 << 1] + write)] : write
                let got = try bus.transfer(address: address, write: sent, readCount: rlen + (pec && rlen > 0 ? 1 : 0))
                if pec && rlen > 0 {
                    let covered = (write.isEmpty ? [] : [address7 << 1] + write) + [address7 << 1 | 1] + got.dropLast()
                    guard SMBusPEC.crc8(covered) == got.last else { return BMS_ERR_CHECKSUM.rawValue }
                }
                if rlen > 0, let rdata { for i in 0..<rlen { rdata[i] = got[i] } }
                return BMS_OK.rawValue
            } catch {
                // A NACK is the device's answer, not a broken bus.
                if !error.message.contains("does not answer") { me.transportFailure = error.message }
                return error.message.contains("does not answer") ? BMS_ERR_TIMEOUT.rawValue : BMS_ERR_IO.rawValue
            }
        } : nil
        l.log = { ctx, level, message in
            let me = HostLink.from(ctx)
            let text = Redaction.redact(message.map { String(cString: $0) } ?? "")  // drivers must not log secrets; make sure
            switch level {
            case Int32(BMS_LOG_DEBUG.rawValue): me.logger.debug("\(text)")
            case Int32(BMS_LOG_INFO.rawValue): me.logger.info("\(text)")
            case Int32(BMS_LOG_WARNING.rawValue): me.logger.warning("\(text)")
            default: me.logger.error("\(text)")
            }
        }
        l.now_ms = { _ in MonotonicClock.nowMs() }
        l.sleep_ms = { _, ms in MonotonicClock.sleep(ms: Int(ms)) }
        link.initialize(to: l)
        link.pointee.ctx = Unmanaged.passUnretained(self).toOpaque()
    }

    /// `bms_link.read`: what is available within `timeoutMs` (shortened by the poll's budget
    /// and a probe's deadline), 0 when nothing came, or a negative status.
    func read(into buffer: UnsafeMutablePointer<UInt8>?, cap: Int, timeoutMs: Int) -> Int32 {
        var wait = timeoutMs
        if budgetDeadline > 0 {
            let now = MonotonicClock.nowMs()
            wait = now >= budgetDeadline ? 0 : min(wait, Int(budgetDeadline - now))
        }
        if probeDeadline > 0 && !probeAnswered {
            // A probe whose device has not started answering in time: the operation is
            // over (a timeout the driver passes on, not a 0 it would retry in a loop).
            let now = MonotonicClock.nowMs()
            if now >= probeDeadline {
                probeExpired = true
                return BMS_ERR_TIMEOUT.rawValue
            }
            wait = min(wait, Int(probeDeadline - now))
        }
        do throws(TransportError) {
            let n = try transport.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: cap), timeoutMs: wait)
            if n > 0 { probeAnswered = true }
            if n == 0 && probeDeadline > 0 && !probeAnswered && MonotonicClock.nowMs() >= probeDeadline {
                probeExpired = true
                return BMS_ERR_TIMEOUT.rawValue
            }
            return Int32(n)
        } catch {
            transportFailure = error.message
            return BMS_ERR_IO.rawValue
        }
    }

    /// `bms_link.read_at_least`: reads until `minimum` bytes came or `timeoutMs` passed.
    /// When the transport knows its byte time, the bytes still missing cannot arrive sooner
    /// than their wire time: it takes what is there, sleeps that long, takes the rest; a
    /// 300-byte answer at 115200 baud then costs two or three wake-ups instead of one per
    /// chunk the port delivers (about 16 bytes). Bytes that come later than the wire time
    /// allows (a USB adapter's latency) are waited for as they arrive.
    func read(into buffer: UnsafeMutablePointer<UInt8>?, atLeast minimum: Int, cap: Int, timeoutMs: Int) -> Int32 {
        guard let buffer, cap > 0 else { return read(into: buffer, cap: cap, timeoutMs: timeoutMs) }
        let want = Swift.min(Swift.max(minimum, 1), cap)
        let deadline = MonotonicClock.nowMs() + UInt64(Swift.max(timeoutMs, 0))
        let byteTime = transport.byteTimeNanos
        var got = 0
        var sleptForThese = false
        while got < want {
            let now = MonotonicClock.nowMs()
            // What is there now (no wait) when a sleep can cover the rest; otherwise wait
            // for the next bytes.
            let sleepable = byteTime != nil && !sleptForThese
            let n = read(into: buffer + got, cap: cap - got, timeoutMs: sleepable || now >= deadline ? 0 : Int(deadline - now))
            if n < 0 { return got > 0 && n == BMS_ERR_TIMEOUT.rawValue ? Int32(got) : n }
            got += Int(n)
            if got >= want { break }
            if let byteTime, sleepable {
                // Never past the call's timeout nor the poll's time budget.
                let left = MonotonicClock.nowMs()
                let end = budgetDeadline > 0 ? Swift.min(deadline, budgetDeadline) : deadline
                guard left < end else { break }
                MonotonicClock.sleep(nanoseconds: Swift.min(UInt64(want - got) * byteTime, (end - left) * 1_000_000))
                sleptForThese = true
            } else if n == 0 {
                break  // the time is up
            } else {
                sleptForThese = false  // new bytes: the rest can be slept through again
            }
        }
        return Int32(got)
    }

    deinit {
        link.deallocate()
        free(address)
        free(busID)
        free(busDevice)
    }

    static func from(_ ctx: UnsafeMutableRawPointer?) -> HostLink {
        Unmanaged<HostLink>.fromOpaque(ctx!).takeUnretainedValue()
    }
}
