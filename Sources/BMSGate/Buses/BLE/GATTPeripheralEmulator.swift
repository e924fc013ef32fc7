import Foundation
import Logging

/// The peripheral side of a simulated BLE device: an ATT server on one end of a
/// SOCK_SEQPACKET socketpair, exactly as the kernel's L2CAP channel delivers ATT PDUs, with
/// a GATT database holding the driver's service and characteristics. Write commands to the
/// write characteristic go to the driver's emulator; its answer bytes come back as
/// notifications no longer than the MTU allows. Tests can cut the link mid-answer.
public final class GATTPeripheralEmulator: @unchecked Sendable {
    /// How the vendor's module lays out its characteristics.
    public enum Layout: Sendable {
        /// One characteristic for write and notify (older modules).
        case combined
        /// A write characteristic and a notify characteristic with the same UUID (newer modules).
        case separate
    }

    struct Attribute {
        var handle: UInt16
        var type: BLEUUID
        var value: [UInt8]
    }

    let attributes: [Attribute]
    let writeHandle: UInt16
    let notifyHandle: UInt16
    let cccdHandle: UInt16
    let emulator: EmulatorHandle
    let serverMTU: Int
    private let lock = NSLock()
    private var cutAfterNotifications: Int?
    private let logger: Logger

    /// A peripheral serving `service` with `write`/`notify` characteristics in `layout`,
    /// answered by `emulator`.
    public init(service: BLEUUID, write: BLEUUID, notify: BLEUUID, layout: Layout, emulator: EmulatorHandle,
                serverMTU: Int = 247, logger: Logger) {
        self.emulator = emulator
        self.serverMTU = serverMTU
        self.logger = logger
        var a: [Attribute] = []
        // A GAP service first, as real devices have: discovery must skip it.
        a.append(Attribute(handle: 1, type: .primaryService, value: BLEUUID(short: 0x1800).le))
        a.append(Attribute(handle: 2, type: .characteristic, value: [0x02] + ATT.le16(3) + BLEUUID(short: 0x2A00).le))
        a.append(Attribute(handle: 3, type: BLEUUID(short: 0x2A00), value: Array("JK-EMU".utf8)))
        a.append(Attribute(handle: 4, type: .primaryService, value: service.le))
        switch layout {
        case .separate:
            a.append(Attribute(handle: 5, type: .characteristic, value: [ATT.propWrite | ATT.propWriteWithoutResponse] + ATT.le16(6) + write.le))
            a.append(Attribute(handle: 6, type: write, value: []))
            a.append(Attribute(handle: 7, type: .characteristic, value: [0x02 | ATT.propNotify] + ATT.le16(8) + notify.le))
            a.append(Attribute(handle: 8, type: notify, value: []))
            a.append(Attribute(handle: 9, type: .clientConfiguration, value: [0, 0]))
            writeHandle = 6
            notifyHandle = 8
            cccdHandle = 9
        case .combined:
            a.append(Attribute(handle: 5, type: .characteristic, value: [ATT.propWriteWithoutResponse | ATT.propWrite | ATT.propNotify] + ATT.le16(6) + write.le))
            a.append(Attribute(handle: 6, type: write, value: []))
            a.append(Attribute(handle: 7, type: .clientConfiguration, value: [0, 0]))
            writeHandle = 6
            notifyHandle = 6
            cccdHandle = 7
        }
        attributes = a
    }

    /// After `n` more notifications the link drops (a disconnect mid-answer); nil = never.
    public func cut(afterNotifications n: Int?) { lock.withLock { cutAfterNotifications = n } }

    /// A new connection: returns the central's end of a socketpair and serves the other
    /// end on a thread until either side closes.
    public func connect() throws(TransportError) -> Int32 {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue), 0, &fds) == 0 else {
            throw TransportError("socketpair: \(String(cString: strerror(errno)))")
        }
        let serverFD = fds[1]
        WorkerThread.detach(name: "gatt-emulator") { [self] in serve(ATTChannel(fd: serverFD)) }
        return fds[0]
    }

    private func serve(_ channel: ATTChannel) {
        var mtu = ATT.defaultMTU
        var notifying = false
        while true {
            let pdu: [UInt8]
            do {
                guard let p = try channel.receive(timeoutMs: 1000) else { continue }
                pdu = p
            } catch {
                return  // the central closed
            }
            guard let opcode = pdu.first else { continue }
            var reply: [UInt8]?
            switch opcode {
            case ATT.exchangeMTURequest where pdu.count >= 3:
                mtu = max(ATT.defaultMTU, min(serverMTU, Int(ATT.le16(pdu, 1))))
                reply = ATT.pdu(ATT.exchangeMTUResponse, ATT.le16(UInt16(serverMTU)))
            case ATT.readByGroupTypeRequest where pdu.count >= 7:
                reply = readByGroupType(start: ATT.le16(pdu, 1), end: ATT.le16(pdu, 3), mtu: mtu)
            case ATT.readByTypeRequest where pdu.count >= 7:
                reply = readByType(start: ATT.le16(pdu, 1), end: ATT.le16(pdu, 3), type: BLEUUID(le: pdu[5...]), mtu: mtu)
            case ATT.findInformationRequest where pdu.count >= 5:
                reply = findInformation(start: ATT.le16(pdu, 1), end: ATT.le16(pdu, 3), mtu: mtu)
            case ATT.writeRequest where pdu.count >= 3:
                let handle = ATT.le16(pdu, 1)
                if handle == cccdHandle {
                    notifying = pdu.count >= 5 && pdu[3] & 1 != 0
                    reply = [ATT.writeResponse]
                } else if handle == writeHandle {
                    reply = [ATT.writeResponse]
                    if !notify(channel, emulator.exchange(Array(pdu[3...])), mtu: mtu, on: notifying) { return }
                } else {
                    reply = ATT.error(opcode, handle: handle, code: ATT.invalidHandle)
                }
            case ATT.writeCommand where pdu.count >= 3:
                if ATT.le16(pdu, 1) == writeHandle,
                   !notify(channel, emulator.exchange(Array(pdu[3...])), mtu: mtu, on: notifying) { return }
            case ATT.confirmation, ATT.writeCommand:
                break
            default:
                if opcode & 0x40 == 0 { reply = ATT.error(opcode, handle: 0, code: ATT.requestNotSupported) }
            }
            if let reply {
                do { try channel.send(reply) } catch { return }
            }
        }
    }

    /// Sends `bytes` as notifications of at most MTU - 3 bytes; false when the link is gone
    /// (or was cut on purpose).
    private func notify(_ channel: ATTChannel, _ bytes: [UInt8], mtu: Int, on: Bool) -> Bool {
        guard on, !bytes.isEmpty else { return true }
        let size = mtu - 3
        for start in stride(from: 0, to: bytes.count, by: size) {
            let cut = lock.withLock { () -> Bool in
                guard let n = cutAfterNotifications else { return false }
                if n <= 0 {
                    cutAfterNotifications = nil
                    return true
                }
                cutAfterNotifications = n - 1
                return false
            }
            if cut {
                logger.debug("GATT peripheral emulator: dropping the link mid-answer")
                channel.close()
                return false
            }
            let chunk = Array(bytes[start..<min(start + size, bytes.count)])
            do { try channel.send(ATT.pdu(ATT.notification, ATT.le16(notifyHandle), chunk)) } catch { return false }
        }
        return true
    }

    private func readByGroupType(start: UInt16, end: UInt16, mtu: Int) -> [UInt8] {
        let services = attributes.filter { $0.type == .primaryService && $0.handle >= start && $0.handle <= end }
        guard let first = services.first else { return ATT.error(ATT.readByGroupTypeRequest, handle: start, code: ATT.attributeNotFound) }
        let size = 4 + first.value.count
        var out = [ATT.readByGroupTypeResponse, UInt8(size)]
        for s in services where s.value.count == first.value.count && out.count + size <= mtu {
            let groupEnd = attributes.first { $0.type == .primaryService && $0.handle > s.handle }.map { $0.handle - 1 } ?? 0xFFFF
            out += ATT.le16(s.handle) + ATT.le16(groupEnd) + s.value
        }
        return out
    }

    private func readByType(start: UInt16, end: UInt16, type: BLEUUID?, mtu: Int) -> [UInt8] {
        let hits = attributes.filter { $0.type == type && $0.handle >= start && $0.handle <= end }
        guard let first = hits.first else { return ATT.error(ATT.readByTypeRequest, handle: start, code: ATT.attributeNotFound) }
        let size = 2 + first.value.count
        var out = [ATT.readByTypeResponse, UInt8(size)]
        for h in hits where h.value.count == first.value.count && out.count + size <= mtu {
            out += ATT.le16(h.handle) + h.value
        }
        return out
    }

    private func findInformation(start: UInt16, end: UInt16, mtu: Int) -> [UInt8] {
        let hits = attributes.filter { $0.handle >= start && $0.handle <= end }
        guard let first = hits.first else { return ATT.error(ATT.findInformationRequest, handle: start, code: ATT.attributeNotFound) }
        let long = first.type.short == nil
        var out: [UInt8] = [ATT.findInformationResponse, long ? 2 : 1]
        for h in hits where (h.type.short == nil) == long && out.count + (long ? 18 : 4) <= mtu {
            out += ATT.le16(h.handle) + h.type.le
        }
        return out
    }
}
