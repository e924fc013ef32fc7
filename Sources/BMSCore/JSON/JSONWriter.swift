/// Compact JSON written straight into one byte buffer: the same text as building a
/// `JSONValue` and rendering it, without the tree (no boxed values, arrays of pairs or
/// copies) and without growing a `String` piece by piece (each `String` append re-checks
/// capacity, ASCII-ness and breadcrumbs; a byte append is a store).
public struct JSONWriter: JSONEmitter {
    /// The UTF-8 bytes so far.
    public private(set) var bytes: [UInt8]
    /// One entry per open container: bit 0 = it is an array, bit 1 = it has a member.
    private var open: [UInt8] = []

    /// An empty writer with room for `capacity` bytes.
    public init(capacity: Int = 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
        open.reserveCapacity(4)
    }

    /// The text so far.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The comma before a member or array item after the first.
    private mutating func separate() {
        guard let top = open.last else { return }
        if top & 2 != 0 { bytes.append(0x2C) } else { open[open.count - 1] = top | 2 }
    }

    /// Before a value: in an array it is an item (separated); in an object `key` did it.
    private mutating func beforeValue() {
        if let top = open.last, top & 1 != 0 { separate() }
    }

    public mutating func beginObject() {
        beforeValue()
        bytes.append(0x7B)
        open.append(0)
    }

    public mutating func endObject() {
        bytes.append(0x7D)
        open.removeLast()
    }

    public mutating func beginArray() {
        beforeValue()
        bytes.append(0x5B)
        open.append(1)
    }

    public mutating func endArray() {
        bytes.append(0x5D)
        open.removeLast()
    }

    public mutating func key(_ key: String) {
        separate()
        quote(key)
        bytes.append(0x3A)
    }

    public mutating func number(_ n: Double) {
        beforeValue()
        // Whole numbers (counts, most settings) digit by digit; the rest as Swift prints
        // them (shortest round trip), as JSONValue.numberText does.
        if n.isFinite, n == n.rounded(), abs(n) < 1e15 {
            var v = Int64(n)
            if v < 0 { bytes.append(0x2D); v = -v }
            var digits: (UInt64, UInt64) = (0, 0)  // up to 16 digits, written backwards
            let count = withUnsafeMutableBytes(of: &digits) { raw -> Int in
                var i = 0
                repeat {
                    raw[15 - i] = UInt8(48 + v % 10)
                    v /= 10
                    i += 1
                } while v > 0
                return i
            }
            withUnsafeBytes(of: &digits) { bytes.append(contentsOf: $0[(16 - count)...]) }
        } else {
            append(JSONValue.numberText(n))
        }
    }

    public mutating func string(_ s: String) {
        beforeValue()
        quote(s)
    }

    public mutating func bool(_ b: Bool) {
        beforeValue()
        append(b ? "true" : "false")
    }

    public mutating func value(_ v: JSONValue) {
        beforeValue()
        append(v.render())
    }

    /// The cached members when there are some; otherwise the members as `produce` writes
    /// them, then stored (without the comma that joined them to earlier members).
    public mutating func cachedMembers(_ cache: JSONFragmentCache, _ produce: (inout JSONWriter) -> Void) {
        guard let top = open.last, top & 1 == 0 else {
            produce(&self)
            return
        }
        if let fragment = cache.stored {
            guard !fragment.isEmpty else { return }
            separate()
            bytes.append(contentsOf: fragment)
            return
        }
        let hadMembers = top & 2 != 0
        let start = bytes.count
        produce(&self)
        cache.store(bytes[(hadMembers && bytes.count > start ? start + 1 : start)...])
    }

    /// `s` in quotes; copied whole when nothing needs escaping (keys and most values).
    private mutating func quote(_ s: String) {
        var s = s
        let plain = s.withUTF8 { utf8 -> Bool in
            for b in utf8 where b < 0x20 || b == 0x22 || b == 0x5C { return false }
            bytes.append(0x22)
            bytes.append(contentsOf: utf8)
            bytes.append(0x22)
            return true
        }
        if !plain {
            var quoted = ""
            JSONValue.quote(s, into: &quoted)
            append(quoted)
        }
    }

    private mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }
}
