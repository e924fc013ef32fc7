import CHostSupport
import Foundation

/// A bus of I2C transactions (not a byte stream): what `bms_link.i2c_transfer` reaches.
public protocol I2CTransport: ByteTransport {
    /// Writes `write` to 7-bit `address`, then (repeated start) reads `readCount` bytes.
    func transfer(address: UInt16, write: [UInt8], readCount: Int) throws(TransportError) -> [UInt8]
}

extension I2CTransport {
    public func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        throw TransportError("\(endpoint) is an I2C bus: drivers use i2c_transfer")
    }
    public func read(into buffer: UnsafeMutableRawBufferPointer, timeoutMs: Int) throws(TransportError) -> Int {
        throw TransportError("\(endpoint) is an I2C bus: drivers use i2c_transfer")
    }
    public func discardInput() {}

    /// Addresses 0x08...0x77 that acknowledge a one-byte read.
    public func probe() -> [UInt16] {
        (UInt16(0x08)...UInt16(0x77)).filter { (try? transfer(address: $0, write: [], readCount: 1)) != nil }
    }
}

/// Linux i2c-dev: `/dev/i2c-N`, ioctl(I2C_RDWR), with retries of NACKed/busy transfers.
public final class I2CDevice: I2CTransport {
    public let path: String
    let retries: Int
    let timeoutMs: Int
    private var fd: Int32 = -1

    /// A bus at `path` (opened on `open()`); each transfer may take `timeoutMs`.
    public init(path: String, retries: Int = 2, timeoutMs: Int = 100) {
        self.path = path
        self.retries = retries
        self.timeoutMs = timeoutMs
    }

    deinit { close() }

    public var endpoint: String { "i2c \(path)" }
    public var isOpen: Bool { fd >= 0 }

    public func open() throws(TransportError) {
        close()
        let f = Glibc.open(path, O_RDWR | O_CLOEXEC)
        guard f >= 0 else {
            let why = String(cString: strerror(errno))
            throw TransportError("open \(path): \(why)\(errno == ENOENT ? " (load i2c-dev: modprobe i2c-dev; `bmsgate scan --i2c` lists buses)" : "")")
        }
        fd = f
        _ = bms_i2c_set_timeout(fd, UInt32(timeoutMs))  // adapters without the ioctl keep their own
    }

    public func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    public func transfer(address: UInt16, write: [UInt8], readCount: Int) throws(TransportError) -> [UInt8] {
        guard fd >= 0 else { throw TransportError("\(path) is not open") }
        var out = [UInt8](repeating: 0, count: readCount)
        var rc: Int32 = 0
        for attempt in 0...retries {
            rc = write.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { r in
                    bms_i2c_transfer(fd, address, w.baseAddress, UInt16(w.count), r.baseAddress, UInt16(r.count))
                }
            }
            if rc == 0 { return out }
            if attempt < retries { usleep(2000) }
        }
        let why = String(cString: strerror(-rc))
        if -rc == EREMOTEIO || -rc == ENXIO {
            throw TransportError("I2C address 0x\(String(address, radix: 16)) on \(path) does not answer (\(why))")
        }
        throw TransportError("I2C transfer on \(path): \(why)")
    }

    /// The /dev/i2c-N buses of this machine.
    public static func buses() -> [(id: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []
        return names.compactMap { n -> (Int, String)? in
            guard n.hasPrefix("i2c-"), let id = Int(n.dropFirst(4)) else { return nil }
            return (id, "/dev/" + n)
        }.sorted { $0.0 < $1.0 }
    }
}

/// A simulated I2C bus: each transaction goes to the drivers' emulators encoded as
/// `49 ('I') addr_lo addr_hi wlen_lo wlen_hi wdata... rlen_lo rlen_hi`; an emulator answers
/// `00 rdata...` (ACK, exactly rlen bytes), `01` for NACK, or nothing when the address is
/// not its own.
public final class I2CEmulatorTransport: I2CTransport {
    let emulators: [EmulatorHandle]
    private let lock = NSLock()
    private var open_ = false

    /// A bus served by `emulators`.
    public init(emulators: [EmulatorHandle]) { self.emulators = emulators }

    public var endpoint: String { "simulated i2c" }
    public var isOpen: Bool { open_ }
    public func open() throws(TransportError) { open_ = true }
    public func close() { open_ = false }

    /// The wire encoding of one transaction (see the type's documentation).
    public static func encode(address: UInt16, write: [UInt8], readCount: Int) -> [UInt8] {
        [0x49, UInt8(address & 0xFF), UInt8(address >> 8), UInt8(write.count & 0xFF), UInt8(write.count >> 8)] + write
            + [UInt8(readCount & 0xFF), UInt8(readCount >> 8)]
    }

    public func transfer(address: UInt16, write: [UInt8], readCount: Int) throws(TransportError) -> [UInt8] {
        let request = Self.encode(address: address, write: write, readCount: readCount)
        let answers = lock.withLock { emulators.map { $0.exchange(request) } }
        guard let answer = answers.first(where: { !$0.isEmpty }), answer[0] == 0 else {
            throw TransportError("I2C address 0x\(String(address, radix: 16)) does not answer (NACK)")
        }
        let data = Array(answer.dropFirst())
        guard data.count == readCount else { throw TransportError("I2C emulator answered \(data.count) bytes for \(readCount)") }
        return data
    }
}
