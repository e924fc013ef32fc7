/// A transport failure with a one-line reason (e.g. "open /dev/ttyUSB0: No such file or directory").
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// The peer stopped taking data (a write found no room within its bound); the
    /// transport itself is still open.
    public var stalled: Bool
    /// An error.
    public init(_ message: String, stalled: Bool = false) {
        self.message = message
        self.stalled = stalled
    }
    public var description: String { message }
}

/// A byte stream the host owns (serial port, TCP bridge, simulated line). Used from one
/// bus thread only. Implementations reopen on demand: after `close()` (or a failure that
/// closed it), the next `open()` tries again.
public protocol ByteTransport: AnyObject {
    /// Human-readable endpoint, e.g. "/dev/ttyUSB0 9600 8N1" or "tcp 10.0.0.5:8899".
    var endpoint: String { get }
    /// Whether the transport is open.
    var isOpen: Bool { get }
    /// Opens (or reopens) the transport.
    func open() throws(TransportError)
    /// Closes it; safe to call when closed.
    func close()
    /// Writes all bytes.
    func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError)
    /// Reads what is available, waiting at most `timeoutMs` for the first byte; 0 = timeout.
    func read(into buffer: UnsafeMutableRawBufferPointer, timeoutMs: Int) throws(TransportError) -> Int
    /// Drops unread input.
    func discardInput()
    /// How long one byte takes on the wire, in nanoseconds, when the transport knows (a
    /// serial line at its baud rate); nil for streams without a pace (TCP, BLE).
    var byteTimeNanos: UInt64? { get }
}

extension ByteTransport {
    /// No known pace.
    public var byteTimeNanos: UInt64? { nil }
}
