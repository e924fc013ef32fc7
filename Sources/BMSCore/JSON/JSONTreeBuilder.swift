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
