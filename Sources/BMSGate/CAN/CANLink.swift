/// A way to put CAN frames on a bus and hear the other nodes: a SocketCAN interface or a
/// serial SLCAN adapter. Used from one thread (the can sink's). Reopens on demand: after a
/// failure closed it, the next `open()` tries again.
public protocol CANLink: AnyObject {
    /// "can0" or "/dev/ttyACM0 (slcan 500 kbit/s)".
    var endpoint: String { get }
    var isOpen: Bool { get }
    /// Opens (or reopens) the link.
    func open() throws(TransportError)
    /// Sends one frame.
    func send(_ frame: CANFrame) throws(TransportError)
    /// Frames that arrive within `timeoutMs` (returns as soon as one or more arrived).
    func receive(timeoutMs: Int) throws(TransportError) -> [CANFrame]
    func close()
}
