import CBMSDriver

/// One option a driver accepts in a pack's `options:` (exported as `bms_option_desc`).
/// A descriptor with key `address` describes the pack's address instead.
public struct OptionDescriptor: Sendable {
    /// Value types, as `enum bms_option_type`.
    public enum Kind: Sendable, Equatable {
        case string, int, double, bool
        /// One of these values.
        case oneOf([String])
    }

    /// The key in `options:`.
    public var key: String
    /// The value type.
    public var kind: Kind
    /// The value used when the key is absent, as text.
    public var defaultValue: String?
    /// Allowed range (int, double).
    public var range: ClosedRange<Double>?
    /// One line of help, with the unit.
    public var help: String

    /// Describes an option.
    public init(_ key: String, _ kind: Kind, default defaultValue: String? = nil, range: ClosedRange<Double>? = nil, help: String) {
        self.key = key
        self.kind = kind
        self.defaultValue = defaultValue
        self.range = range
        self.help = help
    }

    /// The address of a pack on a multi-drop bus: an integer in `range`.
    public static func busAddress(_ range: ClosedRange<Int>, default value: Int? = nil, help: String) -> OptionDescriptor {
        OptionDescriptor("address", .int, default: value.map(String.init), range: Double(range.lowerBound)...Double(range.upperBound), help: help)
    }
}

/// One vendor command (exported as `bms_command_desc`): its `op`, whether it writes, and
/// the HTTP route the host serves it under (below `/api/packs/{id}/`).
public struct CommandDescriptor: Sendable {
    /// The request's "op".
    public var name: String
    /// One line for users.
    public var summary: String
    /// True when the command changes the device.
    public var writes: Bool
    /// "GET" or "POST", with the route below `/api/packs/{id}/`; nil for no route.
    public var http: (method: String, path: String)?
    /// Query parameters the command reads.
    public var query: [String]
    /// The request body as a JSON Schema object (text).
    public var requestSchema: String?
    /// The answer as a JSON Schema object (text).
    public var answerSchema: String?
    /// A boolean request field that makes the call a write when true.
    public var writesWhen: String?

    /// Describes a command.
    public init(_ name: String, summary: String, writes: Bool = false, http: (method: String, path: String)? = nil,
                query: [String] = [], requestSchema: String? = nil, answerSchema: String? = nil, writesWhen: String? = nil) {
        self.name = name
        self.summary = summary
        self.writes = writes
        self.http = http
        self.query = query
        self.requestSchema = requestSchema
        self.answerSchema = answerSchema
        self.writesWhen = writesWhen
    }
}

extension OptionDescriptor {
    /// The C descriptor (strings kept for the life of the process).
    func exported() -> UnsafePointer<bms_option_desc> {
        var d = bms_option_desc()
        d.struct_size = UInt32(MemoryLayout<bms_option_desc>.size)
        switch kind {
        case .string: d.type = UInt32(BMS_OPTION_STRING.rawValue)
        case .int: d.type = UInt32(BMS_OPTION_INT.rawValue)
        case .double: d.type = UInt32(BMS_OPTION_DOUBLE.rawValue)
        case .bool: d.type = UInt32(BMS_OPTION_BOOL.rawValue)
        case .oneOf(let values):
            d.type = UInt32(BMS_OPTION_ENUM.rawValue)
            d.values = CBridge.keep(values.joined(separator: ","))
        }
        d.key = CBridge.keep(key)
        d.default_value = CBridge.keep(defaultValue)
        d.min = range?.lowerBound ?? .nan
        d.max = range?.upperBound ?? .nan
        d.help = CBridge.keep(help)
        return CBridge.keep(d)
    }
}

extension CommandDescriptor {
    /// The C descriptor (strings kept for the life of the process).
    func exported() -> UnsafePointer<bms_command_desc> {
        var d = bms_command_desc()
        d.struct_size = UInt32(MemoryLayout<bms_command_desc>.size)
        d.flags = writes ? UInt32(BMS_COMMAND_WRITES.rawValue) : 0
        d.name = CBridge.keep(name)
        d.summary = CBridge.keep(summary)
        d.http_method = CBridge.keep(http?.method)
        d.http_path = CBridge.keep(http?.path)
        d.query = CBridge.keep(query.isEmpty ? nil : query.joined(separator: ","))
        d.request_schema = CBridge.keep(requestSchema)
        d.answer_schema = CBridge.keep(answerSchema)
        d.writes_when = CBridge.keep(writesWhen)
        return CBridge.keep(d)
    }
}
