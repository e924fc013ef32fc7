extension DriverOption {
    /// The option as `bmsgate drivers --json` lists it.
    public var json: JSONValue {
        var o = JSONObject()
        o["key"] = .string(key)
        o["type"] = .string(kind.rawValue)
        if let defaultValue { o["default"] = .string(defaultValue) }
        if let min { o["min"] = .number(min) }
        if let max { o["max"] = .number(max) }
        if kind == .enum { o["values"] = .array(values.map(JSONValue.string)) }
        o["help"] = .string(help)
        return .object(o)
    }
}

extension DriverCommand {
    /// The command as `bmsgate drivers --json` lists it.
    public var json: JSONValue {
        var o = JSONObject()
        o["name"] = .string(name)
        o["summary"] = .string(summary)
        o["writes"] = .bool(writes)
        if let writesWhen { o["writes_when"] = .string(writesWhen) }
        if let httpMethod, let httpPath {
            o["http"] = .object({ var h = JSONObject(); h["method"] = .string(httpMethod); h["path"] = .string("/api/packs/{id}/" + httpPath); return h }())
        }
        if !query.isEmpty { o["query"] = .array(query.map(JSONValue.string)) }
        if let schema = requestSchema.flatMap(JSONValue.parse) { o["request"] = schema }
        if let schema = answerSchema.flatMap(JSONValue.parse) { o["answer"] = schema }
        return .object(o)
    }
}
