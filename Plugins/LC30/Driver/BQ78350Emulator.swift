import BMSDriverKit

/// A bq78350-class gauge on a simulated I2C bus, answering transactions as the chip does:
/// SBS words and blocks (SMBus block reads start with the byte count; a read one byte
/// longer than the data carries the PEC), ManufacturerAccess (0x00) words, and
/// ManufacturerBlockAccess (0x44) for MAC subcommands and Data Flash (0x4000-0x47FF, read
/// in 32-byte blocks, written at any address). Security: SEALED after power-up; the
/// unseal keys (two words to 0x00) give UNSEALED, the full-access keys FULL_ACCESS, MAC
/// 0x0030 seals. Sealed, Data Flash and MAC writes are NACKed.
///
/// Transactions arrive encoded by the host (see I2CEmulatorTransport): `49 addr(2) wlen(2)
/// wdata rlen(2)`; the answer is `00 rdata` or `01` (NACK); another address gets nothing.
/// Options: `addresses` (7-bit, default 0x0B), `cells` (1-4, default 4), `current` (mA,
/// default -1250).
public final class BQ78350Emulator: BMSEmulator {
    var address: UInt16 = 0x0B
    var words: [UInt8: Int] = [
        0x01: 300, 0x02: 10, 0x03: 0x6001, 0x04: 0, 0x08: 3005, 0x09: 15840, 0x0A: -1250, 0x0B: -1200, 0x0C: 1, 0x0D: 82,
        0x0E: 80, 0x0F: 2460, 0x10: 3000, 0x11: 118, 0x12: 120, 0x13: 65535, 0x14: 2000, 0x15: 16800, 0x16: 0x00C0,
        0x17: 18, 0x18: 3000, 0x19: 14800, 0x1A: 0x0031, 0x1B: 0x5275, 0x1C: 1234, 0x4F: 100,
    ]
    var cells = [3960, 3955, 3963, 3962]
    var strings: [UInt8: String] = [0x20: "TI", 0x21: "BQ78350-R1", 0x22: "LION"]
    var status: [String: UInt32] = ["safety_alert": 0, "safety_status": 0, "pf_alert": 0, "pf_status": 0, "charging_status": 0,
                                    "gauging_status": 0]
    var dataFlash = [UInt8](repeating: 0xFF, count: 0x800)
    /// 3 sealed, 2 unsealed, 1 full access (SEC1:SEC0).
    var security: UInt32 = 3
    var pendingKey: UInt16?
    var blockAccess: UInt16?
    var chg = true, dsg = true
    var input: [UInt8] = []

    public init(options: DriverOptions) throws(DriverError) {
        try options.rejectUnknown(["addresses", "cells", "current"])
        if let text = options["current"] {
            guard let mA = Int(text), (-32768...32767).contains(mA) else { throw .invalid("current must be mA within -32768...32767") }
            words[0x0A] = mA
        }
        if let a = options["addresses"]?.split(separator: ",").first {
            guard let v = DriverOptions.parseInteger(String(a)), (0x08...0x77).contains(v) else {
                throw .invalid("emulator address '\(a)' is not a 7-bit I2C address (0x08...0x77)")
            }
            address = UInt16(v)
        }
        let n = options["cells"].flatMap(DriverOptions.parseInteger) ?? 4
        guard (1...4).contains(n) else { throw .invalid("cells must be 1...4") }
        cells = Array(cells.prefix(n))
        words[0x09] = cells.reduce(0, +)
        for p in BQ78350DataFlash.parameters {
            let bytes = BQ78350DataFlash.encode(p.initial, size: p.type.size, signed: p.type.signed) ?? []
            for (i, b) in bytes.enumerated() { dataFlash[Int(p.address - BQ78350DataFlash.start) + i] = b }
        }
    }

    var operationStatus: UInt32 { security << 8 | (chg ? 4 : 0) | (dsg ? 2 : 0) | 1 }

    public func exchange(_ bytes: [UInt8]) -> [UInt8] {
        input += bytes
        var out: [UInt8] = []
        while input.count >= 7, input[0] == 0x49 {
            let wlen = Int(input[3]) | Int(input[4]) << 8
            guard input.count >= 7 + wlen else { break }
            let addr = UInt16(input[1]) | UInt16(input[2]) << 8
            let write = Array(input[5..<(5 + wlen)])
            let rlen = Int(input[5 + wlen]) | Int(input[6 + wlen]) << 8
            input.removeFirst(7 + wlen)
            guard addr == address else { continue }
            if let data = transaction(write, rlen) { out += [0x00] + data } else { out += [0x01] }
        }
        if input.first != nil && input.first != 0x49 { input.removeAll() }
        return out
    }

    /// One transaction; nil = NACK.
    func transaction(_ w: [UInt8], _ rlen: Int) -> [UInt8]? {
        guard let cmd = w.first else { return [UInt8](repeating: 0, count: rlen) }  // probe
        if rlen > 0 { return read(cmd, rlen) }
        return write(cmd, Array(w.dropFirst())) ? [] : nil
    }

    func pec(_ covered: [UInt8]) -> UInt8 {
        var crc: UInt8 = 0
        for b in covered {
            crc ^= b
            for _ in 0..<8 { crc = crc & 0x80 != 0 ? (crc << 1) ^ 0x07 : crc << 1 }
        }
        return crc
    }

    func read(_ cmd: UInt8, _ rlen: Int) -> [UInt8]? {
        let a = UInt8(address) << 1
        var data: [UInt8]
        if let block = blockData(cmd) {
            let body = [UInt8(block.count)] + block
            data = body + [UInt8](repeating: 0, count: max(0, 33 - body.count))
            data = Array(data.prefix(33))
            if rlen == 34 { data.append(pec([a, cmd, a | 1] + data)) }
        } else if let word = wordValue(cmd) {
            let v = word < 0 ? word + 0x10000 : word
            data = [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)]
            if rlen == 3 { data.append(pec([a, cmd, a | 1] + data)) }
        } else {
            return nil
        }
        return Array((data + [UInt8](repeating: 0, count: max(0, rlen - data.count))).prefix(rlen))
    }

    func wordValue(_ cmd: UInt8) -> Int? {
        switch cmd {
        case 0x3F, 0x3E, 0x3D, 0x3C:
            let i = Int(0x3F - cmd)
            return i < cells.count ? cells[i] : 0
        case 0x00: return Int(operationStatus & 0xFFFF)
        default: return words[cmd]
        }
    }

    func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }

    func statusBlock(_ cmd: UInt8) -> [UInt8]? {
        switch cmd {
        case 0x50: le32(status["safety_alert"]!)
        case 0x51: le32(status["safety_status"]!)
        case 0x52: le32(status["pf_alert"]!)
        case 0x53: le32(status["pf_status"]!)
        case 0x54: le32(operationStatus)
        case 0x55: Array(le32(status["charging_status"]!).prefix(3))
        case 0x56: Array(le32(status["gauging_status"]!).prefix(3))
        default: nil
        }
    }

    func blockData(_ cmd: UInt8) -> [UInt8]? {
        if let s = strings[cmd] { return Array(s.utf8) }
        if let b = statusBlock(cmd) { return b }
        guard cmd == BQ78350.manufacturerBlockAccess, let sub = blockAccess else { return nil }
        let head = [UInt8(sub & 0xFF), UInt8(sub >> 8)]
        if sub >= BQ78350DataFlash.start && sub <= BQ78350DataFlash.end {
            let start = Int(sub - BQ78350DataFlash.start)
            return head + Array(dataFlash[start..<min(start + 32, dataFlash.count)])
        }
        return head + (macResult(sub) ?? [])
    }

    func macResult(_ sub: UInt16) -> [UInt8]? {
        switch sub {
        case 0x0001: return [0x50, 0x03]
        case 0x0002: return [0x50, 0x03, 0x01, 0x10, 0x00, 0x17, 0x00, 0x00, 0x00]
        case 0x0003: return [0x00, 0x02]
        case 0x0050...0x0056: return statusBlock(UInt8(sub & 0xFF))
        default: return nil
        }
    }

    func write(_ cmd: UInt8, _ data: [UInt8]) -> Bool {
        switch cmd {
        case BQ78350.manufacturerAccess:
            guard data.count >= 2 else { return false }
            return mac(UInt16(data[0]) | UInt16(data[1]) << 8)
        case BQ78350.manufacturerBlockAccess:
            guard let count = data.first, data.count >= 1 + Int(count), count >= 2 else { return false }
            let sub = UInt16(data[1]) | UInt16(data[2]) << 8
            let payload = Array(data[3..<(1 + Int(count))])
            if sub >= BQ78350DataFlash.start && sub <= BQ78350DataFlash.end {
                guard security != 3 else { return false }
                if !payload.isEmpty {
                    let start = Int(sub - BQ78350DataFlash.start)
                    guard start + payload.count <= dataFlash.count else { return false }
                    dataFlash.replaceSubrange(start..<(start + payload.count), with: payload)
                }
                blockAccess = sub
                return true
            }
            return mac(sub)
        case 0x01...0x04:
            guard data.count >= 2 else { return false }
            words[cmd] = Int(UInt16(data[0]) | UInt16(data[1]) << 8)
            return true
        case 0x05...0x4F:
            guard security != 3, data.count >= 2, words[cmd] != nil else { return false }
            words[cmd] = Int(UInt16(data[0]) | UInt16(data[1]) << 8)
            return true
        default:
            return false
        }
    }

    /// A word to ManufacturerAccess: keys, seal, or a subcommand whose result 0x44 returns.
    func mac(_ value: UInt16) -> Bool {
        if let first = pendingKey {
            pendingKey = nil
            if security == 3 && (first, value) == BQ78350.defaultUnsealKeys { security = 2; return true }
            if security == 2 && (first, value) == BQ78350.defaultFullAccessKeys { security = 1; return true }
        }
        if (security == 3 && value == BQ78350.defaultUnsealKeys.0) || (security == 2 && value == BQ78350.defaultFullAccessKeys.0) {
            pendingKey = value
            return true
        }
        switch value {
        case 0x0030: security = 3
        case 0x001F: guard security != 3 else { return false }; chg.toggle()
        case 0x0020: guard security != 3 else { return false }; dsg.toggle()
        case 0x0021, 0x0022, 0x0029, 0x0041: guard security != 3 else { return false }
        default:
            // The chip acknowledges any word (a wrong key included) and simply does nothing.
            guard macResult(value) != nil else { return true }
        }
        blockAccess = value
        return true
    }

    public func control(_ command: String) -> String {
        let words = command.split(separator: " ").map(String.init)
        switch words.first {
        case "status":
            return "address 0x\(String(address, radix: 16)) \(BQ78350.security(operationStatus: operationStatus)) voltage=\(self.words[0x09] ?? 0) current=\(self.words[0x0A] ?? 0) soc=\(self.words[0x0D] ?? 0)"
        case "seal":
            security = 3
            return "ok: sealed"
        case "set":
            for pair in words.dropFirst() {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2, let v = DriverOptions.parseInteger(kv[1]) ?? Double(kv[1]).map({ Int($0) }) else {
                    return "error: '\(pair)' is not key=number"
                }
                switch kv[0] {
                case "voltage": self.words[0x09] = v
                case "current": self.words[0x0A] = v
                case "soc": self.words[0x0D] = v
                case "temp": self.words[0x08] = v + 2732
                case "battery_status": self.words[0x16] = v
                default:
                    if kv[0].hasPrefix("cell"), let i = Int(kv[0].dropFirst(4)), (1...cells.count).contains(i) {
                        cells[i - 1] = v
                    } else if status[kv[0]] != nil {
                        status[kv[0]] = UInt32(v)
                    } else {
                        return "error: unknown key '\(kv[0])'"
                    }
                }
            }
            return "ok"
        default:
            return "commands: status | seal | set voltage=mV current=mA soc=% temp=degC cellN=mV safety_status=BITS pf_status=BITS battery_status=BITS"
        }
    }
}
