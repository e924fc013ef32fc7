import CHostSupport
import Foundation

/// A local serial port (RS485/RS232/UART, or the slave side of a pseudo-terminal),
/// configured raw with termios2 so any baud rate works.
public final class SerialPort: ByteTransport {
    public let settings: SerialSettings
    /// Effective baud rate (settings or the driver's default).
    public let baud: Int
    private var fd: Int32 = -1

    /// A port; nothing is opened until `open()`.
    public init(settings: SerialSettings, defaultBaud: Int) {
        self.settings = settings
        self.baud = settings.baud ?? (defaultBaud > 0 ? defaultBaud : 9600)
    }

    deinit { close() }

    public var endpoint: String {
        "\(settings.device) \(baud) \(settings.dataBits)\(settings.parity.prefix(1).uppercased())\(settings.stopBits)"
    }
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
        fd = f
        _ = bmsgate_serial_flush_input(f)
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        guard fd >= 0 else { throw TransportError("\(settings.device) is not open") }
        do {
            try FileDescriptorStream(fd: fd).writeAll(bytes, what: settings.device)
        } catch {
            close()
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
            return try FileDescriptorStream(fd: fd).read(into: buffer, timeoutMs: timeoutMs, what: settings.device)
        } catch {
            close()
            throw error
        }
    }

    public func discardInput() {
        guard fd >= 0 else { return }
        _ = bmsgate_serial_flush_input(fd)
        FileDescriptorStream(fd: fd).drain()
    }
}
