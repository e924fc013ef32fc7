import CBMSDriver

/// A Swift view of the host's `bms_link`: the only way a driver talks to a device.
/// Valid only inside the operation it was handed to (open/poll/identify/command/close, discover).
public struct Link: @unchecked Sendable {
    /// The host's link table.
    public let raw: UnsafePointer<bms_link>

    /// Wraps a host link.
    public init(_ raw: UnsafePointer<bms_link>) { self.raw = raw }

    /// The transport kind (a `bms_transport` bit).
    public var transport: UInt32 { raw.pointee.transport }
    /// The pack address from the config, "" if none.
    public var address: String { raw.pointee.address.map { String(cString: $0) } ?? "" }
    /// The per-transaction timeout in milliseconds.
    public var timeoutMs: UInt32 { raw.pointee.timeout_ms }
    /// The bus id from the site file ("" from a 1.0 host).
    public var busID: String { has(\.bus_id) ? raw.pointee.bus_id.map { String(cString: $0) } ?? "" : "" }
    /// What the bus is: a device path, host:port, the BLE adapter or "sim:<bus id>" ("" from a 1.0 host).
    public var busDevice: String { has(\.bus_device) ? raw.pointee.bus_device.map { String(cString: $0) } ?? "" : "" }

    /// True when the host's link holds `field` (BMS_HAS in C).
    func has<T>(_ field: KeyPath<bms_link, T>) -> Bool {
        guard let offset = MemoryLayout<bms_link>.offset(of: field) else { return false }
        return Int(raw.pointee.struct_size) >= offset + MemoryLayout<T>.size
    }

    /// Writes all bytes or throws.
    public func write(_ bytes: [UInt8]) throws(DriverError) {
        let n = bytes.withUnsafeBufferPointer { raw.pointee.write(raw.pointee.ctx, $0.baseAddress, $0.count) }
        if n < 0 { throw DriverError(bms_status(rawValue: n), "write failed") }
        if Int(n) != bytes.count { throw .io("short write (\(n) of \(bytes.count) bytes)") }
    }

    /// Reads what is available, waiting at most `timeoutMs`; an empty array means timeout.
    public func read(max: Int = 512, timeoutMs: UInt32) throws(DriverError) -> [UInt8] {
        var out: [UInt8] = []
        try read(appendingTo: &out, atLeast: 1, max: max, timeoutMs: timeoutMs)
        return out
    }

    /// Reads at least `minimum` bytes (fewer only when `timeoutMs` passes) and at most `max`,
    /// appending them to `buffer`; returns how many came. With a host of ABI 1.3 the host
    /// waits for all of them (sleeping through their wire time); an older host is asked
    /// chunk by chunk.
    @discardableResult
    public func read(appendingTo buffer: inout [UInt8], atLeast minimum: Int, max: Int = 512, timeoutMs: UInt32) throws(DriverError) -> Int {
        let cap = Swift.max(max, minimum, 1)
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: cap))
        let readAtLeast = has(\.read_at_least) ? raw.pointee.read_at_least : nil
        let n = buffer.withUnsafeMutableBufferPointer { all -> Int32 in
            let into = all.baseAddress! + start
            if minimum > 1, let readAtLeast { return readAtLeast(raw.pointee.ctx, into, minimum, cap, timeoutMs) }
            return raw.pointee.read(raw.pointee.ctx, into, cap, timeoutMs)
        }
        buffer.removeLast(cap - Swift.max(0, Int(n)))
        if n < 0 { throw DriverError(bms_status(rawValue: n), "read failed") }
        return Int(n)
    }

    /// Discards unread input.
    public func flush() {
        _ = raw.pointee.flush(raw.pointee.ctx)
    }

    /// Monotonic milliseconds from the host's clock.
    public func nowMs() -> UInt64 { raw.pointee.now_ms(raw.pointee.ctx) }

    /// Sleeps on the host's clock.
    public func sleep(ms: UInt32) { raw.pointee.sleep_ms(raw.pointee.ctx, ms) }

    /// Logs through the host (which adds bus and pack context).
    public func log(_ level: bms_log_level, _ message: String) {
        raw.pointee.log(raw.pointee.ctx, Int32(level.rawValue), message)
    }

    /// One I2C transaction (on I2C buses): write `write` to 7-bit `address`, then read
    /// `readCount` bytes; `pec` asks the host to append/verify an SMBus PEC byte.
    public func i2c(address: UInt16, write: [UInt8], readCount: Int, pec: Bool = false) throws(DriverError) -> [UInt8] {
        guard let transfer = raw.pointee.i2c_transfer else { throw .unsupported("this bus is not an I2C bus") }
        var out = [UInt8](repeating: 0, count: readCount)
        let rc = write.withUnsafeBufferPointer { w in
            out.withUnsafeMutableBufferPointer { r in
                transfer(raw.pointee.ctx, address, w.baseAddress, w.count, r.baseAddress, r.count, pec ? BMS_I2C_PEC.rawValue : 0)
            }
        }
        switch rc {
        case BMS_OK.rawValue: return out
        case BMS_ERR_TIMEOUT.rawValue: throw .timeout("I2C address 0x\(String(address, radix: 16)) does not answer")
        case BMS_ERR_CHECKSUM.rawValue: throw .checksum("SMBus PEC mismatch from 0x\(String(address, radix: 16))")
        default: throw DriverError(bms_status(rawValue: rc), "I2C transfer failed (status \(rc))")
        }
    }

    /// Writes `request`, then reads until `decoder` yields a frame or the pack's timeout passes.
    /// Junk the decoder skips is dropped; a decoder error (checksum, frame) is thrown at once.
    public func transact<D: FrameDecoder>(_ request: [UInt8], decoder: inout D) throws(DriverError) -> D.Frame {
        var buffer: [UInt8] = []
        return try transact(request, decoder: &decoder, buffer: &buffer)
    }

    /// `transact` for answers of several frames: bytes after the first frame stay in `buffer`
    /// for the next `receive(decoder:buffer:)`.
    public func transact<D: FrameDecoder>(_ request: [UInt8], decoder: inout D, buffer: inout [UInt8]) throws(DriverError) -> D.Frame {
        flush()
        buffer.removeAll()
        try write(request)
        return try receive(decoder: &decoder, buffer: &buffer)
    }

    /// Reads until `decoder` yields a frame or the pack's timeout passes.
    public func receive<D: FrameDecoder>(decoder: inout D) throws(DriverError) -> D.Frame {
        var buffer: [UInt8] = []
        return try receive(decoder: &decoder, buffer: &buffer)
    }

    /// Reads until `decoder` yields a frame from `buffer` plus what arrives, or the pack's
    /// timeout passes; what follows the frame stays in `buffer`.
    public func receive<D: FrameDecoder>(decoder: inout D, buffer: inout [UInt8]) throws(DriverError) -> D.Frame {
        let deadline = nowMs() + UInt64(timeoutMs)
        while true {
            if let frame = try decoder.decode(&buffer) { return frame }
            let now = nowMs()
            guard now < deadline else {
                throw .timeout(buffer.isEmpty
                    ? "no answer within \(timeoutMs) ms"
                    : "incomplete answer within \(timeoutMs) ms (\(buffer.count) bytes: \(Hex.format(buffer.prefix(16)))\(buffer.count > 16 ? " ..." : ""))")
            }
            // Ask for what the frame still needs at least (its header gives the length), so
            // the host need not wake for every chunk of a long answer.
            try read(appendingTo: &buffer, atLeast: decoder.bytesWanted(after: buffer), timeoutMs: UInt32(deadline - now))
        }
    }
}

/// Cuts frames out of a byte stream (in the spirit of NIO's ByteToMessageDecoder).
public protocol FrameDecoder {
    /// The decoded frame type.
    associatedtype Frame
    /// Consumes bytes from the front of `buffer` (junk and a complete frame) and returns the
    /// frame, or nil when more bytes are needed. Throws on a complete but invalid frame.
    mutating func decode(_ buffer: inout [UInt8]) throws(DriverError) -> Frame?
    /// After `decode` returned nil for `buffer`: how many more bytes must arrive at least
    /// before it can return a frame (from the header's length field). A lower bound, never
    /// a guess; 1 when unknown (the default).
    func bytesWanted(after buffer: [UInt8]) -> Int
}

extension FrameDecoder {
    /// Unknown: one more byte.
    public func bytesWanted(after buffer: [UInt8]) -> Int { 1 }
}
