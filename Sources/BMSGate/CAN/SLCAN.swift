/// The Lawicel SLCAN line protocol of serial CAN adapters (CANable, USBtin, CANUSB):
/// commands and frames are ASCII lines ending in CR; the adapter answers CR for OK and BEL
/// (0x07) for an error, `z`/`Z` after a sent frame on some firmwares, and received frames in
/// the same `t`/`T` form as sent ones (optionally with a 4-digit timestamp).
public enum SLCAN {
    /// `S0`...`S8` bit rates (bit/s).
    public static let bitrates: [Int: Character] = [
        10_000: "0", 20_000: "1", 50_000: "2", 100_000: "3", 125_000: "4", 250_000: "5", 500_000: "6", 800_000: "7", 1_000_000: "8",
    ]

    /// The commands that open an adapter at `bitrate`: close (whatever state it was left in),
    /// set the bit rate, open.
    public static func openCommands(bitrate: Int) -> [String] {
        ["C", "S\(bitrates[bitrate] ?? "6")", "O"]
    }

    /// `tIIILDD..` (11-bit) or `TIIIIIIIILDD..` (29-bit), without the CR.
    public static func encode(_ frame: CANFrame) -> String {
        let width = frame.extended ? 8 : 3
        let idHex = String(frame.id, radix: 16, uppercase: true)
        return (frame.extended ? "T" : "t") + String(repeating: "0", count: max(0, width - idHex.count)) + idHex
            + String(frame.data.count) + frame.data.map { b in
                let h = String(b, radix: 16, uppercase: true)
                return h.count == 1 ? "0" + h : h
            }.joined()
    }

    /// What one line (CR removed) from an adapter means.
    public enum Line: Equatable, Sendable {
        /// A received frame.
        case frame(CANFrame)
        /// The adapter's OK for a command (empty line) or for a sent frame (`z`, `Z`).
        case ok
        /// An answer the host did not ask for in a form it knows (`V`, `v`, `N`, `F`...): ignored.
        case info(String)
        /// Not SLCAN.
        case garbage(String)
    }

    /// Parses one line (without its CR; a BEL is split off by `LineSplitter`).
    public static func parse(_ line: Substring) -> Line {
        guard let first = line.first else { return .ok }
        switch first {
        case "z", "Z":
            return line.count == 1 ? .ok : .garbage(String(line))
        case "t", "T", "r", "R":
            return parseFrame(line).map { .frame($0) } ?? .garbage(String(line))
        case "V", "v", "N", "F", "E":
            return line.count <= 16 ? .info(String(line)) : .garbage(String(line))
        case "C", "O", "L":
            // A host on the other end of a pty (python-can) opens and closes its "adapter".
            return line.count == 1 ? .info(String(line)) : .garbage(String(line))
        case "S":
            return line.count == 2 ? .info(String(line)) : .garbage(String(line))
        default:
            return .garbage(String(line))
        }
    }

    static func parseFrame(_ line: Substring) -> CANFrame? {
        let extended = line.first == "T" || line.first == "R"
        let remote = line.first == "r" || line.first == "R"
        let chars = Array(line.utf8.dropFirst())
        let idWidth = extended ? 8 : 3
        guard chars.count >= idWidth + 1, let id = hex(chars[0..<idWidth]), id <= (extended ? 0x1FFF_FFFF : 0x7FF),
              let length = hex(chars[idWidth..<(idWidth + 1)]), length <= 8 else { return nil }
        let dataEnd = idWidth + 1 + (remote ? 0 : 2 * Int(length))
        // After the data: nothing, or a 4-digit timestamp.
        guard chars.count == dataEnd || chars.count == dataEnd + 4 else { return nil }
        if chars.count == dataEnd + 4, hex(chars[dataEnd..<(dataEnd + 4)]) == nil { return nil }
        var data: [UInt8] = []
        if !remote {
            for i in 0..<Int(length) {
                let at = idWidth + 1 + 2 * i
                guard let b = hex(chars[at..<(at + 2)]) else { return nil }
                data.append(UInt8(b))
            }
        }
        return CANFrame(id: id, data: data, extended: extended)
    }

    static func hex(_ digits: ArraySlice<UInt8>) -> UInt32? {
        var v: UInt32 = 0
        for c in digits {
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x37)
            case 0x61...0x66: d = UInt32(c - 0x57)
            default: return nil
            }
            v = v << 4 | d
        }
        return digits.isEmpty ? nil : v
    }

    /// Splits an adapter's byte stream into lines: CR ends a line, BEL is an error answer of
    /// its own, LF is ignored, and a line that grows past 64 bytes without a CR is garbage
    /// (reported once; the rest of it, up to its CR, is dropped).
    public struct LineSplitter: Sendable {
        private var pending: [UInt8] = []
        /// After a runaway line: drop bytes until its CR.
        private var skipping = false

        /// What one event in the stream is.
        public enum Event: Equatable, Sendable {
            case line(Line)
            /// BEL: the adapter refused the last command.
            case error
        }

        public init() {}

        /// Feeds bytes; returns the events they complete.
        public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Event] {
            var out: [Event] = []
            for b in bytes {
                switch b {
                case 0x0D:
                    if !skipping { out.append(.line(SLCAN.parse(Substring(String(decoding: pending, as: UTF8.self))))) }
                    skipping = false
                    pending.removeAll(keepingCapacity: true)
                case 0x07:
                    if !pending.isEmpty { out.append(.line(.garbage(String(decoding: pending, as: UTF8.self)))) }
                    pending.removeAll(keepingCapacity: true)
                    out.append(.error)
                case 0x0A:
                    continue
                default:
                    guard !skipping else { continue }
                    pending.append(b)
                    if pending.count > 64 {
                        out.append(.line(.garbage(String(decoding: pending, as: UTF8.self))))
                        pending.removeAll(keepingCapacity: true)
                        skipping = true
                    }
                }
            }
            return out
        }
    }
}
