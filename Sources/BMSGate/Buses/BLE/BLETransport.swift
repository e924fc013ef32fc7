import Foundation
import Logging

/// A pack's BLE link as a byte transport: `open` connects (through `connector`: an L2CAP
/// socket, or a socketpair to a simulated peripheral), exchanges the MTU, discovers the
/// driver's service and characteristics and turns notifications on; `write` is a GATT
/// write command, `read` returns notification bytes. A drop closes the transport; the bus
/// worker reopens it with its backoff. One connection per device in the whole process.
public final class BLETransport: ByteTransport {
    public let endpoint: String
    let address: String
    let connector: () throws(TransportError) -> Int32
    let service: BLEUUID, writeUUID: BLEUUID, notifyUUID: BLEUUID
    let requestTimeoutMs: Int
    let logger: Logger
    private var client: GATTClient?
    private var writeHandle: UInt16 = 0
    private var notifyHandle: UInt16 = 0
    private var leftover: [UInt8] = []

    /// A transport to `address` for a driver's `service`, `write` and `notify` UUIDs.
    public init(address: String, endpoint: String, service: BLEUUID, write: BLEUUID, notify: BLEUUID, requestTimeoutMs: Int,
                logger: Logger, connector: @escaping () throws(TransportError) -> Int32) {
        self.address = address.uppercased()
        self.endpoint = endpoint
        self.service = service
        self.writeUUID = write
        self.notifyUUID = notify
        self.requestTimeoutMs = requestTimeoutMs
        self.logger = logger
        self.connector = connector
    }

    deinit { close() }

    public var isOpen: Bool { client != nil }

    /// The negotiated ATT MTU of the open connection.
    public var mtu: Int? { client?.mtu }

    public func open() throws(TransportError) {
        close()
        try BLEConnections.claim(address, by: endpoint)
        do throws(TransportError) {
            let c = GATTClient(channel: ATTChannel(fd: try connector()), requestTimeoutMs: requestTimeoutMs)
            let mtu = try c.exchangeMTU()
            let services = try c.primaryServices()
            guard let s = services.first(where: { $0.uuid == service }) else {
                throw TransportError("\(address) has no service \(service) (services: \(services.map(\.uuid.description).joined(separator: ", ")); not this driver's device?)")
            }
            let chars = try c.characteristics(start: s.start, end: s.end)
            guard let w = chars.first(where: { $0.uuid == writeUUID && $0.canWrite }) else {
                throw TransportError("\(address): no writable characteristic \(writeUUID) in service \(service)")
            }
            guard let n = chars.first(where: { $0.uuid == notifyUUID && $0.canNotify }) else {
                throw TransportError("\(address): no notifying characteristic \(notifyUUID) in service \(service)")
            }
            try c.enableNotifications(n)
            writeHandle = w.valueHandle
            notifyHandle = n.valueHandle
            client = c
            logger.info("BLE \(address): connected, MTU \(mtu), write handle 0x\(String(w.valueHandle, radix: 16)), notify handle 0x\(String(n.valueHandle, radix: 16))")
        } catch {
            BLEConnections.release(address)
            throw error
        }
    }

    public func close() {
        guard let c = client else { return }
        c.channel.close()
        client = nil
        leftover.removeAll()
        BLEConnections.release(address)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        guard let c = client else { throw TransportError("BLE \(address) is not connected") }
        do {
            try c.writeCommand(handle: writeHandle, Array(bytes))
        } catch {
            close()
            throw error
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeoutMs: Int) throws(TransportError) -> Int {
        guard let c = client else { throw TransportError("BLE \(address) is not connected") }
        if leftover.isEmpty {
            do {
                guard let value = try c.nextNotification(handle: notifyHandle, timeoutMs: timeoutMs) else { return 0 }
                leftover = value
            } catch {
                close()
                throw TransportError("BLE \(address): \(error.message)")
            }
        }
        let n = min(buffer.count, leftover.count)
        leftover.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
        leftover.removeFirst(n)
        return n
    }

    public func discardInput() {
        leftover.removeAll()
        client?.discardNotifications()
    }
}

/// Devices with an open connection in this process: a BLE peripheral takes one central at a
/// time, so a second pack (or bus) on the same address is refused with a clear reason.
enum BLEConnections {
    nonisolated(unsafe) private static var owners: [String: String] = [:]
    private static let lock = NSLock()

    static func claim(_ address: String, by owner: String) throws(TransportError) {
        let other: String? = lock.withLock {
            if let o = owners[address], o != owner { return o }
            owners[address] = owner
            return nil
        }
        if let other { throw TransportError("BLE \(address) is already connected by \(other) (one connection per device)") }
    }

    static func release(_ address: String) {
        lock.withLock { _ = owners.removeValue(forKey: address) }
    }
}
