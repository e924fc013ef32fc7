import TOMLKit
import Yams

/// The packs of a read as YAML or TOML documents (the ubmsc formats): the same fields as
/// the Reading JSON, in its order where the format keeps order.
public enum ReadingDocument {
    /// YAML: a sequence with one mapping per pack (field order kept; strings quoted).
    public static func yaml(_ packs: [PackStatus]) throws -> String {
        try yaml(packs.map(\.json))
    }

    /// YAML of prepared pack objects.
    public static func yaml(_ objects: [JSONValue]) throws -> String {
        let node = Node.sequence(Node.Sequence(objects.map { yamlNode($0) }))
        return try Yams.serialize(node: node)
    }

    static func yamlNode(_ value: JSONValue) -> Node {
        switch value {
        case .null: return Node("null", Tag(.null))
        case .bool(let b): return Node(b ? "true" : "false", Tag(.bool))
        case .number(let n): return Node(JSONValue.numberText(n), Tag(.float))
        case .string(let s): return Node(s, Tag(.str), .doubleQuoted)
        case .array(let items): return Node.sequence(Node.Sequence(items.map(yamlNode), Tag(.seq), .flow))
        case .object(let o): return Node.mapping(Node.Mapping(o.pairs.map { (Node($0.0), yamlNode($0.1)) }))
        }
    }

    /// TOML: an array of tables `[[pack]]`, objects (identity, extras, stats) as sub-tables;
    /// `pretty` indents sub-tables and the elements of long arrays.
    public static func toml(_ packs: [PackStatus], pretty: Bool = false) -> String {
        toml(packs.map(\.json), pretty: pretty)
    }

    /// TOML of prepared pack objects (see `toml(_:pretty:)`).
    public static func toml(_ objects: [JSONValue], pretty: Bool) -> String {
        let root = TOMLTable()
        let list = TOMLArray()
        for p in objects {
            guard case .object(let o) = p else { continue }
            list.append(tomlTable(o))
        }
        root["pack"] = list
        return pretty ? root.convert(to: .toml, options: [.indentations, .allowUnicodeStrings]) : root.convert(to: .toml)
    }

    static func tomlTable(_ o: JSONObject) -> TOMLTable {
        let t = TOMLTable()
        for (k, v) in o.pairs {
            if let value = tomlValue(v) { t[k] = value }
        }
        return t
    }

    static func tomlValue(_ v: JSONValue) -> TOMLValueConvertible? {
        switch v {
        case .null: return nil  // TOML has no null: the field is left out
        case .bool(let b): return b
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? Int(n) : n
        case .string(let s): return s
        case .array(let items):
            let a = TOMLArray()
            for item in items { if let x = tomlValue(item) { a.append(x) } }
            return a
        case .object(let o): return tomlTable(o)
        }
    }
}
