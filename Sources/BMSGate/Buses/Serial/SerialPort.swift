import CHostSupport
import Foundation
import Logging

/// A local serial port (RS485/RS232/UART, or the slave side of a pseudo-terminal),
/// configured raw with termios2 so any baud rate works.
public final class SerialPort: ByteTransport {
    public let settings: SerialSettings
    /// Effective baud rate (settings or the driver's default).
    public let baud: Int
    private var fd: Int32 = -1

    /// A port; nothing is opened until `open()`.
    private let logger: Logger?

    public init(settings: SerialSettings, defaultBaud: Int, logger: Logger? = nil) {
        self.settings = settings
        self.logger = logger
        self.baud = settings.baud ?? (defaultBaud > 0 ? defaultBaud : 9600)
    }

    deinit { close() }

    public var endpoint: String {
        "\(settings.device) \(baud) \(settings.dataBits)\(settings.parity.prefix(1).uppercased())\(settings.stopBits)"
            + (settings.dtr.map { $0 ? " DTR on" : " DTR off" } ?? "")
    }

    /// Start bit, data bits, parity bit and stop bits at the baud rate.
    public var byteTimeNanos: UInt64? {
        let bits = 1 + settings.dataBits + (settings.parity == "none" ? 0 : 1) + settings.stopBits
        return UInt64(bits) * 1_000_000_000 / UInt64(Swift.max(baud, 1))
    }

    /// Why the last DTR change did not apply (a pseudo-terminal has no modem lines), or nil.
    public private(set) var dtrFailure: String?
    public var isOpen: Bool { fd >= 0 }

    public func open() throws(TransportError) {
        close()
        let f = Glibc.open(settings.device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard f >= 0 else { throw TransportError("open \(settings.device): \(String(cString: strerror(errno)))") }
        let parity: CChar = settings.parity == "even" ? 0x45 : (settings.parity == "odd" ? 0x4F : 0x4E)
        let rc = bmsgate_serial_configure(f, UInt32(baud), parity, Int32(settings.dataBits), Int32(settings.stopBits))
        guard rc == 0 else {
            Glibc.close(f)
            throw TransportError("configure \(settings.device): \(String(cString: strerror(-rc)))")
        }
        if settings.rs485 {
            let rc = bmsgate_serial_rs485(f, 1, 0, UInt32(settings.turnaround.milliseconds))
            if rc != 0 {
                Glibc.close(f)
                throw TransportError("RS485 mode on \(settings.device): \(String(cString: strerror(-rc))) (set rs485: false for adapters with automatic direction)")
            }
        }
        if let dtr = settings.dtr {
            let rc = bmsgate_serial_dtr(f, dtr ? 1 : 0)
            let failure = rc == 0 ? nil : "DTR \(dtr ? "on" : "off") on \(settings.device): \(String(cString: strerror(-rc)))"
            if let failure, failure != dtrFailure { logger?.warning("\(failure) (the adapter has no DTR line?)") }
            dtrFailure = failure
        }
        fd = f
        _ = bmsgate_serial_flush_input(f)
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// A write the other side has not taken within this many ms is abandoned: what is
    /// queued is flushed and the write throws a `stalled` error, the port stays open (an
    /// inverter link must not send old data late). Nil: a write waits as long as it takes.
    public var writeTimeoutMs: Int?

    public func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        guard fd >= 0 else { throw TransportError("\(settings.device) is not open") }
        do {
            try FileDescriptorStream(fd: fd).writeAll(bytes, what: settings.device, timeoutMs: writeTimeoutMs)
        } catch {
            if error.stalled {
                flushOutput()
            } else {
                close()
            }
            throw error
        }
        if settings.turnaround > .zero && !settings.rs485 {
            _ = bmsgate_serial_drain(fd)
            MonotonicClock.sleep(ms: Int(settings.turnaround.milliseconds))
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeoutMs: Int) throws(TransportError) -> Int {
        guard fd >= 0 else { throw TransportError("\(settings.device) is not open") }
        do {
            return try FileDescriptorStream(fd: fd, terminal: true).read(into: buffer, timeoutMs: timeoutMs, what: settings.device)
        } catch {
            close()
            throw error
        }
    }

    /// Drops what was written and not yet sent (or, on a pseudo-terminal, not yet read).
    public func flushOutput() {
        guard fd >= 0 else { return }
        _ = bmsgate_serial_flush_output(fd)
    }

    /// Bytes written and not yet sent, as the driver reports them (0 on a pseudo-terminal,
    /// whose writes go straight to the other end).
    public var pendingOutput: Int {
        guard fd >= 0 else { return 0 }
        return max(0, Int(bmsgate_serial_output_pending(fd)))
    }

    public func discardInput() {
        guard fd >= 0 else { return }
        _ = bmsgate_serial_flush_input(fd)
        FileDescriptorStream(fd: fd).drain()
    }
}
