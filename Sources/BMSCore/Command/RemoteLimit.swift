/// A limit a home energy manager sets from outside (`POST /api/banks/{id}/limits`, the MQTT
/// command topic): maxima that can only lower what the controller says, for a time. It
/// never raises a limit, expires by itself, and is named as a reason while it binds.
public struct RemoteLimit: Sendable, Equatable {
    /// Charge current at most, A.
    public var chargeCurrent: Double?
    /// Discharge current at most, A.
    public var dischargeCurrent: Double?
    /// Charge voltage at most, V.
    public var chargeVoltage: Double?
    /// When it ends (monotonic ms).
    public var expiresMs: UInt64
    /// Who set it, for the reasons and the log ("http 192.168.1.5", "mqtt").
    public var source: String

    /// A remote limit.
    public init(chargeCurrent: Double?, dischargeCurrent: Double?, chargeVoltage: Double?, expiresMs: UInt64, source: String) {
        self.chargeCurrent = chargeCurrent
        self.dischargeCurrent = dischargeCurrent
        self.chargeVoltage = chargeVoltage
        self.expiresMs = expiresMs
        self.source = source
    }

    /// Longest time to live a remote limit may ask for.
    public static let maximumTTL: Duration = .seconds(86400)
}
