import BMSGate
import CBMSDriver
import Foundation

/// A driver for host tests, built in Swift as a real C table (no plugin file): a pack
/// answers "P<address>\n" with "<soc>\n", and a command `{"op": X}` is sent as
/// "C<address> X\n" and answered by the line the device sends back, as
/// `{"op": X, "answer": "<line>"}`. Runs on any ByteTransport (e.g. ScriptedTransport).
public enum LineDriver {
    /// The driver, as the loader would hand it out.
    public static let loaded = LoadedDriver(table: table, path: "test:line-driver")

    /// A device answering polls of every address with `soc` and echoing commands.
    @Sendable public static func device(soc: Int = 50) -> @Sendable ([UInt8]) -> ScriptedTransport.Reply {
        { request in
            let line = String(decoding: request, as: UTF8.self)
            if line.hasPrefix("P") { return .bytes(Array("\(soc)\n".utf8)) }
            if line.hasPrefix("C") { return .bytes(Array(("done " + line.dropFirst()).utf8)) }
            return .silence
        }
    }

    final class Instance {
        let link: UnsafePointer<bms_link>
        let address: String
        init(_ link: UnsafePointer<bms_link>) {
            self.link = link
            address = link.pointee.address.map { String(cString: $0) } ?? ""
        }

        /// Sends `text` and reads one line within the link's timeout; nil on timeout.
        func exchange(_ text: String) -> (Int32, String?) {
            let l = link.pointee
            _ = l.flush(l.ctx)
            let bytes = Array(text.utf8)
            let w = bytes.withUnsafeBufferPointer { l.write(l.ctx, $0.baseAddress, $0.count) }
            if w < 0 { return (w, nil) }
            var line: [UInt8] = []
            let deadline = l.now_ms(l.ctx) + UInt64(l.timeout_ms)
            var byte: UInt8 = 0
            while l.now_ms(l.ctx) < deadline {
                let n = l.read(l.ctx, &byte, 1, UInt32(deadline - l.now_ms(l.ctx)))
                if n < 0 { return (n, nil) }
                if n == 0 { continue }
                if byte == 0x0A { return (BMS_OK.rawValue, String(decoding: line, as: UTF8.self)) }
                line.append(byte)
            }
            return (BMS_ERR_TIMEOUT.rawValue, nil)
        }
    }

    static func instance(_ p: UnsafeMutableRawPointer?) -> Instance { Unmanaged<Instance>.fromOpaque(p!).takeUnretainedValue() }

    /// Immutable once built; the pointer is shared read-only like a plugin's table.
    nonisolated(unsafe) static let table: UnsafePointer<bms_driver> = {
        var t = bms_driver()
        t.struct_size = UInt32(MemoryLayout<bms_driver>.size)
        t.abi_major = UInt32(BMS_ABI_MAJOR)
        t.abi_minor = UInt32(BMS_ABI_MINOR)
        t.id = UnsafePointer(strdup("test-line"))
        t.vendor = UnsafePointer(strdup("tests"))
        t.version = UnsafePointer(strdup("1.0.0"))
        t.description = UnsafePointer(strdup("line protocol driver for host tests"))
        t.transports = BMS_TRANSPORT_SERIAL.rawValue | BMS_TRANSPORT_TCP.rawValue
        t.default_baud = 9600
        t.open = { link, _, _, out in
            guard let link, let out else { return BMS_ERR_INVALID.rawValue }
            out.pointee = Unmanaged.passRetained(Instance(link)).toOpaque()
            return BMS_OK.rawValue
        }
        t.poll = { p, reading in
            let me = instance(p)
            let (rc, line) = me.exchange("P\(me.address)\n")
            guard rc == BMS_OK.rawValue, let line, let soc = Double(line) else {
                return rc == BMS_OK.rawValue ? BMS_ERR_FRAME.rawValue : rc
            }
            reading?.pointee.soc = soc
            return BMS_OK.rawValue
        }
        t.command = { p, request, response, cap, length in
            let me = instance(p)
            let object = request.flatMap { try? JSONSerialization.jsonObject(with: Data(String(cString: $0).utf8)) as? [String: Any] }
            let op = object?["op"] as? String ?? "?"
            let (rc, line) = me.exchange("C\(me.address) \(op)\n")
            let answer = rc == BMS_OK.rawValue ? "{\"op\":\"\(op)\",\"answer\":\"\(line ?? "")\"}" : "{\"error\":\"no answer\"}"
            let bytes = Array(answer.utf8)
            guard bytes.count < cap, let response else {
                length?.pointee = bytes.count + 1
                return BMS_ERR_BUFFER.rawValue
            }
            for (i, b) in bytes.enumerated() { response[i] = CChar(bitPattern: b) }
            response[bytes.count] = 0
            length?.pointee = bytes.count
            return rc == BMS_OK.rawValue ? BMS_OK.rawValue : rc
        }
        t.close = { p in Unmanaged<Instance>.fromOpaque(p!).release() }
        let table = UnsafeMutablePointer<bms_driver>.allocate(capacity: 1)
        table.initialize(to: t)
        return UnsafePointer(table)
    }()
}
