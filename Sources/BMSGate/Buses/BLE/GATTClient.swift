import Foundation

/// A small GATT client on an ATT channel: MTU exchange, primary service discovery,
/// characteristic and descriptor discovery, notifications on, write commands. ATT allows
/// one request at a time; notifications that arrive meanwhile are kept in order.
public final class GATTClient {
    public let channel: ATTChannel
    /// Time allowed for each request's response.
    public let requestTimeoutMs: Int
    /// The negotiated ATT MTU.
    public private(set) var mtu = ATT.defaultMTU
    /// Notification/indication payloads not yet read, oldest first: (handle, value).
    private var pending: [(UInt16, [UInt8])] = []

    /// A client on `channel`.
    public init(channel: ATTChannel, requestTimeoutMs: Int = 5000) {
        self.channel = channel
        self.requestTimeoutMs = requestTimeoutMs
    }

    /// Sends `request` and returns the response PDU (its opcode is `expect` or an error
    /// response, which is thrown unless `tolerate` lists its code).
    func request(_ pdu: [UInt8], expect: UInt8, tolerate: Set<UInt8> = []) throws(TransportError) -> [UInt8]? {
        try channel.send(pdu)
        let deadline = MonotonicClock.nowMs() + UInt64(max(0, requestTimeoutMs))
        while true {
            let left = Int(deadline) - Int(MonotonicClock.nowMs())
            guard left > 0, let reply = try channel.receive(timeoutMs: left) else {
                throw TransportError("BLE: no ATT response to opcode 0x\(String(pdu[0], radix: 16)) within \(requestTimeoutMs) ms")
            }
            if try absorb(reply) { continue }
            if reply[0] == expect { return reply }
            if reply[0] == ATT.errorResponse, reply.count >= 5, reply[1] == pdu[0] {
                if tolerate.contains(reply[4]) { return nil }
                throw TransportError("BLE: \(ATT.describe(reply[4])) (opcode 0x\(String(pdu[0], radix: 16)), handle 0x\(String(ATT.le16(reply, 2), radix: 16)))")
            }
            // Anything else is out of sequence: ignore it.
        }
    }

    /// Keeps notifications/indications (confirming indications); true when `pdu` was one.
    private func absorb(_ pdu: [UInt8]) throws(TransportError) -> Bool {
        guard pdu.count >= 3, pdu[0] == ATT.notification || pdu[0] == ATT.indication else { return false }
        pending.append((ATT.le16(pdu, 1), Array(pdu[3...])))
        if pdu[0] == ATT.indication { try channel.send([ATT.confirmation]) }
        return true
    }

    /// Exchanges MTUs (ours: 517); returns the one in force.
    @discardableResult
    public func exchangeMTU(_ ours: Int = 517) throws(TransportError) -> Int {
        if let r = try request(ATT.pdu(ATT.exchangeMTURequest, ATT.le16(UInt16(ours))), expect: ATT.exchangeMTUResponse,
                               tolerate: [ATT.requestNotSupported]), r.count >= 3 {
            mtu = max(ATT.defaultMTU, min(ours, Int(ATT.le16(r, 1))))
        }
        return mtu
    }

    /// Primary services: (start, end, uuid).
    public func primaryServices() throws(TransportError) -> [(start: UInt16, end: UInt16, uuid: BLEUUID)] {
        var out: [(UInt16, UInt16, BLEUUID)] = []
        var start: UInt16 = 1
        while start != 0 {
            guard let r = try request(ATT.pdu(ATT.readByGroupTypeRequest, ATT.le16(start), ATT.le16(0xFFFF), BLEUUID.primaryService.le),
                                      expect: ATT.readByGroupTypeResponse, tolerate: [ATT.attributeNotFound]),
                  r.count >= 2, r[1] >= 6 else { break }
            let size = Int(r[1])
            var last: UInt16 = 0
            for i in stride(from: 2, to: r.count - size + 1, by: size) {
                let s = ATT.le16(r, i), e = ATT.le16(r, i + 2)
                if let uuid = BLEUUID(le: r[(i + 4)..<(i + size)]) { out.append((s, e, uuid)) }
                last = e
            }
            start = last == 0xFFFF || last < start ? 0 : last + 1
        }
        return out
    }

    /// Characteristics of the range [start, end], with their CCCD handles.
    public func characteristics(start: UInt16, end: UInt16) throws(TransportError) -> [GATTCharacteristic] {
        var out: [GATTCharacteristic] = []
        var from = start
        while from <= end {
            guard let r = try request(ATT.pdu(ATT.readByTypeRequest, ATT.le16(from), ATT.le16(end), BLEUUID.characteristic.le),
                                      expect: ATT.readByTypeResponse, tolerate: [ATT.attributeNotFound]),
                  r.count >= 2, r[1] >= 7 else { break }
            let size = Int(r[1])
            var last = from
            for i in stride(from: 2, to: r.count - size + 1, by: size) {
                let decl = ATT.le16(r, i)
                guard let uuid = BLEUUID(le: r[(i + 5)..<(i + size)]) else { continue }
                out.append(GATTCharacteristic(declarationHandle: decl, properties: r[i + 2], valueHandle: ATT.le16(r, i + 3), uuid: uuid))
                last = decl
            }
            if last == 0xFFFF || last < from { break }
            from = last + 1
        }
        // Descriptors sit between a value handle and the next declaration (or the end).
        for k in out.indices where out[k].canNotify {
            let first = out[k].valueHandle + 1
            let last = k + 1 < out.count ? out[k + 1].declarationHandle - 1 : end
            guard first <= last else { continue }
            out[k].cccdHandle = try descriptor(.clientConfiguration, from: first, to: last)
        }
        return out
    }

    /// The handle of descriptor `uuid` in [from, to].
    func descriptor(_ uuid: BLEUUID, from: UInt16, to: UInt16) throws(TransportError) -> UInt16? {
        var start = from
        while start <= to {
            guard let r = try request(ATT.pdu(ATT.findInformationRequest, ATT.le16(start), ATT.le16(to)),
                                      expect: ATT.findInformationResponse, tolerate: [ATT.attributeNotFound]),
                  r.count >= 2 else { return nil }
            let size = r[1] == 1 ? 4 : 18
            var last = start
            for i in stride(from: 2, to: r.count - size + 1, by: size) {
                let handle = ATT.le16(r, i)
                if BLEUUID(le: r[(i + 2)..<(i + size)]) == uuid { return handle }
                last = handle
            }
            if last == 0xFFFF || last < start { return nil }
            start = last + 1
        }
        return nil
    }

    /// Turns notifications (or indications) on through the characteristic's CCCD.
    public func enableNotifications(_ c: GATTCharacteristic) throws(TransportError) {
        guard let cccd = c.cccdHandle else { throw TransportError("BLE: characteristic \(c.uuid) has no client configuration descriptor") }
        let value: UInt16 = c.properties & ATT.propNotify != 0 ? 0x0001 : 0x0002
        _ = try request(ATT.pdu(ATT.writeRequest, ATT.le16(cccd), ATT.le16(value)), expect: ATT.writeResponse)
    }

    /// Writes without response (the JK way), split to the MTU when longer.
    public func writeCommand(handle: UInt16, _ value: [UInt8]) throws(TransportError) {
        let chunk = max(1, mtu - 3)
        for start in stride(from: 0, to: max(value.count, 1), by: chunk) {
            try channel.send(ATT.pdu(ATT.writeCommand, ATT.le16(handle), Array(value[start..<min(start + chunk, value.count)])))
        }
    }

    /// The next notification value on `handle`, waiting up to `timeoutMs`; nil on timeout.
    public func nextNotification(handle: UInt16, timeoutMs: Int) throws(TransportError) -> [UInt8]? {
        let deadline = MonotonicClock.nowMs() + UInt64(max(0, timeoutMs))
        while true {
            if let i = pending.firstIndex(where: { $0.0 == handle }) {
                return pending.remove(at: i).1
            }
            let left = Int(deadline) - Int(MonotonicClock.nowMs())
            guard left > 0, let pdu = try channel.receive(timeoutMs: left) else { return nil }
            _ = try absorb(pdu)
        }
    }

    /// Drops notifications received so far.
    public func discardNotifications() { pending.removeAll() }
}
