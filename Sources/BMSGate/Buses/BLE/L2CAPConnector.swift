import CBluetooth
import Foundation

/// Opens the ATT channel to an LE device: an L2CAP SOCK_SEQPACKET socket on the fixed ATT
/// channel (CID 4), bound to the adapter, connected with a timeout.
public enum L2CAPConnector {
    /// The ATT fixed channel.
    static let attCID: UInt16 = 4

    /// The address of `adapter` ("hci0"); throws a clear error when there is none.
    static func adapterAddress(_ adapter: String) throws(TransportError) -> bdaddr_t {
        let id = hci_devid(adapter)
        guard id >= 0 else {
            throw TransportError("no Bluetooth adapter '\(adapter)' on this machine (is bluetoothd running and the adapter up? `hciconfig` lists them)")
        }
        var address = bdaddr_t()
        guard hci_devba(id, &address) == 0 else {
            throw TransportError("Bluetooth adapter '\(adapter)': \(String(cString: strerror(errno)))")
        }
        return address
    }

    /// Parses "C8:47:8C:12:34:56".
    static func parse(_ text: String) -> bdaddr_t? {
        guard BLEAddress.isValid(text) else { return nil }
        var a = bdaddr_t()
        return str2ba(text, &a) == 0 ? a : nil
    }

    /// Connects to `address` through `adapter` within `timeoutMs`; returns the socket.
    public static func connect(adapter: String, address: String, randomAddress: Bool, timeoutMs: Int) throws(TransportError) -> Int32 {
        guard let peer = parse(address) else { throw TransportError("'\(address)' is not a BLE address like C8:47:8C:12:34:56") }
        let fd = socket(AF_BLUETOOTH, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), BTPROTO_L2CAP)
        guard fd >= 0 else {
            throw TransportError("Bluetooth is not available on this machine (L2CAP socket: \(String(cString: strerror(errno))))")
        }
        var ok = false
        defer { if !ok { close(fd) } }
        var local = sockaddr_l2()
        local.l2_family = sa_family_t(AF_BLUETOOTH)
        local.l2_cid = attCID.littleEndian
        local.l2_bdaddr = try adapterAddress(adapter)
        local.l2_bdaddr_type = UInt8(BDADDR_LE_PUBLIC)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_l2>.size)) }
        }
        guard bound == 0 else { throw TransportError("Bluetooth bind to \(adapter): \(String(cString: strerror(errno)))") }
        var security = bt_security(level: UInt8(BT_SECURITY_LOW), key_size: 0)
        _ = setsockopt(fd, SOL_BLUETOOTH, BT_SECURITY, &security, socklen_t(MemoryLayout<bt_security>.size))
        var remote = sockaddr_l2()
        remote.l2_family = sa_family_t(AF_BLUETOOTH)
        remote.l2_cid = attCID.littleEndian
        remote.l2_bdaddr = peer
        remote.l2_bdaddr_type = UInt8(randomAddress ? BDADDR_LE_RANDOM : BDADDR_LE_PUBLIC)
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        let rc = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_l2>.size)) }
        }
        if rc != 0 && errno != EINPROGRESS {
            throw TransportError("BLE connect to \(address): \(String(cString: strerror(errno)))")
        }
        if rc != 0 {
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&p, 1, Int32(timeoutMs)) == 1 else {
                throw TransportError("BLE connect to \(address): no connection within \(timeoutMs) ms (out of range, or connected elsewhere?)")
            }
            var error: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len)
            guard error == 0 else { throw TransportError("BLE connect to \(address): \(String(cString: strerror(error)))") }
        }
        _ = fcntl(fd, F_SETFL, flags)
        ok = true
        return fd
    }
}

/// BLE address text.
public enum BLEAddress {
    /// "XX:XX:XX:XX:XX:XX" with hex digits.
    public static func isValid(_ text: String) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 6 && parts.allSatisfy { $0.count == 2 && $0.allSatisfy(\.isHexDigit) }
    }
}
