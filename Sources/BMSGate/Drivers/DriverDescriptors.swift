import CBMSDriver
import Foundation

/// A vendor command a driver describes (`bms_command_desc`, ABI 1.1), as the host uses it:
/// the HTTP route, who may call it, its OpenAPI entry.
public struct DriverCommand: Sendable, Equatable {
    /// The request's "op".
    public var name: String
    /// One line for users.
    public var summary: String
    /// True when the command changes the device (token and `allow_writes` needed).
    public var writes: Bool
    /// "GET" or "POST"; nil without a route.
    public var httpMethod: String?
    /// Route below `/api/packs/{id}/`; nil without a route.
    public var httpPath: String?
    /// Query parameters the command reads.
    public var query: [String]
    /// JSON Schema of the request body (text).
    public var requestSchema: String?
    /// JSON Schema of the answer (text).
    public var answerSchema: String?
    /// A boolean request field that makes a call a write when true.
    public var writesWhen: String?

    /// True when a request with these fields writes.
    public func writes(fields: [String: Any]) -> Bool {
        writes || writesWhen.map { fields[$0] as? Bool == true } == true
    }

    init(_ d: UnsafePointer<bms_command_desc>) {
        let c = d.pointee
        func text(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }
        name = text(c.name) ?? ""
        summary = text(c.summary) ?? ""
        writes = c.flags & BMS_COMMAND_WRITES.rawValue != 0
        httpMethod = text(c.http_method)?.uppercased()
        httpPath = text(c.http_path)
        query = (text(c.query) ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        requestSchema = text(c.request_schema)
        answerSchema = text(c.answer_schema)
        writesWhen = text(c.writes_when)
    }
}

/// An option a driver describes (`bms_option_desc`, ABI 1.1). Key `address` describes the
/// pack's address.
public struct DriverOption: Sendable, Equatable {
    /// Value types (`enum bms_option_type`).
    public enum Kind: String, Sendable {
        case string, int, double, bool, `enum`
    }
    public var key: String
    public var kind: Kind
    /// Default, as text.
    public var defaultValue: String?
    /// Bounds (int, double); nil when open.
    public var min: Double?
    public var max: Double?
    /// Allowed values of an enum.
    public var values: [String]
    /// One line of help.
    public var help: String

    init(_ d: UnsafePointer<bms_option_desc>) {
        let o = d.pointee
        func text(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }
        key = text(o.key) ?? ""
        switch o.type {
        case UInt32(BMS_OPTION_INT.rawValue): kind = .int
        case UInt32(BMS_OPTION_DOUBLE.rawValue): kind = .double
        case UInt32(BMS_OPTION_BOOL.rawValue): kind = .bool
        case UInt32(BMS_OPTION_ENUM.rawValue): kind = .enum
        default: kind = .string
        }
        defaultValue = text(o.default_value)
        min = o.min.isNaN ? nil : o.min
        max = o.max.isNaN ? nil : o.max
        values = (text(o.values) ?? "").split(separator: ",").map(String.init)
        help = text(o.help) ?? ""
    }
}
