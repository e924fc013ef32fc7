/// Compact JSON written straight into one string: the same text as building a `JSONValue`
/// and rendering it, without the tree (no boxed values, arrays of pairs or copies).
public struct JSONWriter: JSONEmitter {
    /// The text so far.
    public private(set) var text: String
    /// One entry per open container: bit 0 = it is an array, bit 1 = it has a member.
    private var open: [UInt8] = []

    /// An empty writer with room for `capacity` bytes.
    public init(capacity: Int = 1024) {
        text = ""
        text.reserveCapacity(capacity)
        open.reserveCapacity(4)
    }

    /// The comma before a member or array item after the first.
    private mutating func separate() {
        guard let top = open.last else { return }
        if top & 2 != 0 { text += "," } else { open[open.count - 1] = top | 2 }
    }

    /// Before a value: in an array it is an item (separated); in an object `key` did it.
    private mutating func beforeValue() {
        if let top = open.last, top & 1 != 0 { separate() }
    }

    public mutating func beginObject() {
        beforeValue()
        text += "{"
        open.append(0)
    }

    public mutating func endObject() {
        text += "}"
        open.removeLast()
    }

    public mutating func beginArray() {
        beforeValue()
        text += "["
        open.append(1)
    }

    public mutating func endArray() {
        text += "]"
        open.removeLast()
    }

    public mutating func key(_ key: String) {
        separate()
        JSONValue.quote(key, into: &text)
        text += ":"
    }

    public mutating func number(_ n: Double) {
        beforeValue()
        text += JSONValue.numberText(n)
    }

    public mutating func string(_ s: String) {
        beforeValue()
        JSONValue.quote(s, into: &text)
    }

    public mutating func bool(_ b: Bool) {
        beforeValue()
        text += b ? "true" : "false"
    }

    public mutating func value(_ v: JSONValue) {
        beforeValue()
        v.write(to: &text)
    }
}

/// Builds a `JSONValue` from emitter calls (what `JSONWriter` would write, as a tree).
public struct JSONTreeBuilder: JSONEmitter {
    private enum Container {
        case object(JSONObject, key: String?)
        case array([JSONValue])
    }

    private var stack: [Container] = []
    /// The finished value (after the outermost container closed, or a lone value).
    public private(set) var result: JSONValue = .null

    /// An empty builder.
    public init() {}

    public mutating func beginObject() { stack.append(.object(JSONObject(), key: nil)) }

    public mutating func endObject() {
        guard case .object(let o, _) = stack.removeLast() else { preconditionFailure("endObject closes an array") }
        value(.object(o))
    }

    public mutating func beginArray() { stack.append(.array([])) }

    public mutating func endArray() {
        guard case .array(let items) = stack.removeLast() else { preconditionFailure("endArray closes an object") }
        value(.array(items))
    }

    public mutating func key(_ key: String) {
        guard case .object(let o, _) = stack.removeLast() else { preconditionFailure("key outside an object") }
        stack.append(.object(o, key: key))
    }

    public mutating func number(_ n: Double) { value(.number(n)) }
    public mutating func string(_ s: String) { value(.string(s)) }
    public mutating func bool(_ b: Bool) { value(.bool(b)) }

    public mutating func value(_ v: JSONValue) {
        guard let top = stack.popLast() else { result = v; return }
        switch top {
        case .object(var o, let key):
            // Producers name each member once (as the writer's text would show a repeat).
            if let key { o.append(key, v) }
            stack.append(.object(o, key: nil))
        case .array(var items):
            items.append(v)
            stack.append(.array(items))
        }
    }
}
