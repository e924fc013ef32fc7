import BMSDriverKit

/// The information field of an NW answer: identifier, data, identifier, data ... (a
/// read-all answer holds every F and RW identifier; a read-one answer holds one).
public struct JKNWData: Sendable, Equatable {
    /// Cells in the order of the frame: (cell number, volts).
    public var cells: [(number: Int, volts: Double)] = []
    /// Every other identifier with its raw bytes, in frame order.
    public var entries: [(code: UInt8, bytes: [UInt8])] = []

    public static func == (a: JKNWData, b: JKNWData) -> Bool {
        a.cells.map(\.number) == b.cells.map(\.number) && a.cells.map(\.volts) == b.cells.map(\.volts)
            && a.entries.map(\.code) == b.entries.map(\.code) && a.entries.map(\.bytes) == b.entries.map(\.bytes)
    }

    /// An empty data set.
    public init() {}

    /// The bytes of `code`, nil when absent.
    public func bytes(_ code: UInt8) -> [UInt8]? { entries.first { $0.code == code }?.bytes }

    /// The decoded value of `code`.
    public func value(_ code: UInt8) -> JKNWValue? {
        guard let reg = JKNWRegister.code(code), let b = bytes(code) else { return nil }
        return reg.value(b[...])
    }

    /// The decoded number of `code`.
    public func number(_ code: UInt8) -> Double? {
        if case .number(let n) = value(code) { return n }
        return nil
    }

    /// Splits an information field. A read-one answer to 0x79 has no count byte when
    /// `countByte` is false. An identifier the table does not know ends the parse with an
    /// error (its length is unknown, so nothing after it can be trusted).
    public static func parse(_ info: [UInt8], countByte: Bool = true) throws(DriverError) -> JKNWData {
        var data = JKNWData()
        var i = 0
        while i < info.count {
            let code = info[i]
            guard let reg = JKNWRegister.code(code) else {
                throw .frame("unknown JK NW identifier 0x\(Hex.format([code])) at byte \(i) of the information field")
            }
            i += 1
            if reg.kind == .cells {
                guard i < info.count else { throw .frame("JK NW cell list without its length byte") }
                let length = Int(info[i])
                i += 1
                guard length % 3 == 0, i + length <= info.count else {
                    throw .frame("JK NW cell list of \(length) bytes does not fit the frame")
                }
                for k in stride(from: i, to: i + length, by: 3) {
                    data.cells.append((Int(info[k]), Double(Int(info[k + 1]) << 8 | Int(info[k + 2])) / 1000))
                }
                i += length
                continue
            }
            guard i + reg.size <= info.count else {
                throw .frame("JK NW identifier 0x\(Hex.format([code])) needs \(reg.size) bytes, \(info.count - i) left")
            }
            data.entries.append((code, Array(info[i..<(i + reg.size)])))
            i += reg.size
        }
        return data
    }

    /// Encodes identifiers and data as an information field (cells with their count byte).
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        if !cells.isEmpty {
            out += [0x79, UInt8(cells.count * 3)]
            for c in cells {
                let mv = Int((c.volts * 1000).rounded())
                out += [UInt8(c.number), UInt8(mv >> 8), UInt8(mv & 0xFF)]
            }
        }
        for e in entries { out += [e.code] + e.bytes }
        return out
    }
}
