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
            do throws(TransportError) {
                try me.transport.write(UnsafeRawBufferPointer(start: data, count: len))
                return Int32(len)
            } catch {
                me.transportFailure = error.message
                return BMS_ERR_IO.rawValue
            }
        }
        l.read = { ctx, buffer, cap, timeout in
            let me = HostLink.from(ctx)
            var wait = Int(timeout)
            if me.budgetDeadline > 0 {
                let now = MonotonicClock.nowMs()
                wait = now >= me.budgetDeadline ? 0 : min(wait, Int(me.budgetDeadline - now))
            }
            do throws(TransportError) {
                return Int32(try me.transport.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: cap), timeoutMs: wait))
            } catch {
                me.transportFailure = error.message
                return BMS_ERR_IO.rawValue
            }
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
