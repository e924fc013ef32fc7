import CHostSupport
import Foundation

/// A pseudo-terminal pair: the master side is the simulated device, the slave path is the
/// "serial port" a bus (or any serial program) opens. The server keeps a slave descriptor
/// open so the master never sees a hang-up between clients, and puts the line in raw mode.
public final class PseudoTerminal: @unchecked Sendable {
    /// Master descriptor (the device side).
    public let master: Int32
    /// Path of the slave side, e.g. /dev/pts/3.
    public let slavePath: String
    private let heldSlave: Int32

    /// Opens a new pair.
    public init() throws(TransportError) {
        var name = [CChar](repeating: 0, count: 128)
        let m = bmsgate_pty_open(&name, UInt(name.count))
        guard m >= 0 else { throw TransportError("cannot open a pseudo-terminal: \(String(cString: strerror(-m)))") }
        let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let s = Glibc.open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard s >= 0 else {
            Glibc.close(m)
            throw TransportError("open \(path): \(String(cString: strerror(errno)))")
        }
        _ = bmsgate_serial_configure(s, 9600, 0x4E, 8, 1)  // raw: no echo, no line editing
        let flags = fcntl(m, F_GETFL)
        _ = fcntl(m, F_SETFL, flags | O_NONBLOCK)
        master = m
        slavePath = path
        heldSlave = s
    }

    deinit {
        Glibc.close(master)
        Glibc.close(heldSlave)
    }
}
