/// A way to put CAN frames on a bus and hear the other nodes: a SocketCAN interface or a
/// serial SLCAN adapter. Used from one thread (the can sink's). Reopens on demand: after a
/// failure closed it, the next `open()` tries again.
public protocol CANLink: AnyObject {
    /// "can0" or "/dev/ttyACM0 (slcan 500 kbit/s)".
    var endpoint: String { get }
    var isOpen: Bool { get }
    /// How long one `send` may wait for room; past it the send drops what is queued and
    /// throws a `stalled` error (the link stays open): a frame is never sent late.
    var sendTimeoutMs: Int { get set }
    /// Bytes handed to the link and not yet on the bus, when the link can tell (0 otherwise).
    var pendingOutput: Int { get }
    /// Drops what is queued and not yet on the bus.
    func dropQueued()
    /// Opens (or reopens) the link.
    func open() throws(TransportError)
    /// Sends one frame.
    func send(_ frame: CANFrame) throws(TransportError)
    /// Frames that arrive within `timeoutMs` (returns as soon as one or more arrived).
    func receive(timeoutMs: Int) throws(TransportError) -> [CANFrame]
    func close()
}
