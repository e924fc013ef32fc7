/// Something JSON is produced into, member by member: `JSONWriter` (text, for lines written
/// once per reading) or `JSONTreeBuilder` (a `JSONValue`, for what is inspected or
/// merged). Producers such as `Reading.emit(online:to:)` are written once against it, so
/// the text and the tree always hold the same members in the same order.
public protocol JSONEmitter {
    /// Opens an object, as a value.
    mutating func beginObject()
    /// Closes the innermost object.
    mutating func endObject()
    /// Opens an array, as a value.
    mutating func beginArray()
    /// Closes the innermost array.
    mutating func endArray()
    /// Names the next value in the innermost object.
    mutating func key(_ key: String)
    /// A number (non-finite: null).
    mutating func number(_ n: Double)
    /// A string.
    mutating func string(_ s: String)
    /// true or false.
    mutating func bool(_ b: Bool)
    /// A whole value from a tree.
    mutating func value(_ v: JSONValue)
    /// Members of the innermost object that `produce` writes, taken from `cache` when it
    /// holds them (a text writer stores what it wrote there; a tree is always produced).
    /// `produce` writes members only, the same every time for the same cache.
    mutating func cachedMembers(_ cache: JSONFragmentCache, _ produce: (inout Self) -> Void)
}

extension JSONEmitter {
    /// Produces the members (nothing to cache into).
    public mutating func cachedMembers(_ cache: JSONFragmentCache, _ produce: (inout Self) -> Void) {
        produce(&self)
    }

    /// `"key":number` when `n` is present; nothing otherwise (as `JSONObject.append` with nil).
    public mutating func member(_ name: String, _ n: Double?) {
        guard let n else { return }
        key(name)
        number(n)
    }

    /// `"key":"text"`.
    public mutating func member(_ name: String, _ s: String) {
        key(name)
        string(s)
    }

    /// `"key":true|false` when `b` is present.
    public mutating func member(_ name: String, _ b: Bool?) {
        guard let b else { return }
        key(name)
        bool(b)
    }

    /// `"key":[n,...]`.
    public mutating func member(_ name: String, numbers: [Double]) {
        key(name)
        beginArray()
        for n in numbers { number(n) }
        endArray()
    }

    /// `"key":["s",...]`.
    public mutating func member(_ name: String, strings: [String]) {
        key(name)
        beginArray()
        for s in strings { string(s) }
        endArray()
    }
}
