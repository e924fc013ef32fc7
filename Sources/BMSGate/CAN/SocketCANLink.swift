import CHostSupport
import Foundation

/// A SocketCAN interface (`can0`, `vcan0`) through a raw AF_CAN socket. The interface's bit
/// rate is the system's (`ip link set can0 type can bitrate 500000`), not the socket's.
public final class SocketCANLink: CANLink {
    public let interface: String
    private var fd: Int32 = -1

    /// A link on `interface`; nothing is opened until `open()`.
    public init(interface: String) { self.interface = interface }

    deinit { close() }

    public var endpoint: String { interface }
    public var isOpen: Bool { fd >= 0 }
    /// A send waits at most 100 ms for room in the interface's queue (fixed in the C side).
    public var sendTimeoutMs = 100
    /// The kernel's queue is not visible per socket.
    public var pendingOutput: Int { 0 }
    /// Frames already in the interface's queue (txqueuelen, 10 by default) cannot be taken back.
    public func dropQueued() {}

    public func open() throws(TransportError) {
        close()
        let rc = bmsgate_can_open(interface)
        guard rc >= 0 else {
            let reason = String(cString: strerror(-rc))
            switch -rc {
            case EAFNOSUPPORT, EPROTONOSUPPORT:
                throw TransportError("\(interface): this kernel has no SocketCAN (AF_CAN): \(reason); use an SLCAN adapter with device: instead")
            case ENODEV:
                throw TransportError("\(interface): no such CAN interface (ip link show type can)")
            default:
                throw TransportError("\(interface): \(reason)")
            }
        }
        fd = rc
    }

    public func send(_ frame: CANFrame) throws(TransportError) {
        guard fd >= 0 else { throw TransportError("\(interface) is not open") }
        let rc = frame.data.withUnsafeBufferPointer {
            bmsgate_can_send(fd, frame.id, frame.extended ? 1 : 0, $0.baseAddress, UInt8($0.count))
        }
        if rc < 0 {
            if rc == -ENOBUFS {
                throw TransportError("\(interface): transmit queue full (no other node acknowledges: is the inverter connected?)", stalled: true)
            }
            close()
            throw TransportError("\(interface): \(String(cString: strerror(-rc)))")
        }
    }

    public func receive(timeoutMs: Int) throws(TransportError) -> [CANFrame] {
        guard fd >= 0 else { throw TransportError("\(interface) is not open") }
        var out: [CANFrame] = []
        var wait = timeoutMs
        while true {
            var id: UInt32 = 0, extended: Int32 = 0, length: UInt8 = 0
            var data = [UInt8](repeating: 0, count: 8)
            let rc = bmsgate_can_receive(fd, &id, &extended, &data, &length, Int32(wait))
            if rc < 0 {
                close()
                throw TransportError("\(interface): \(String(cString: strerror(-rc)))")
            }
            guard rc == 1 else { return out }
            out.append(CANFrame(id: id, data: Array(data.prefix(Int(length))), extended: extended != 0))
            wait = 0
        }
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}
