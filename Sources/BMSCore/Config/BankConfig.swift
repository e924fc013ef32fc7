/// A bank: packs that work together behind one inverter.
public struct BankConfig: Sendable {
    public var id: String
    public var packs: [String]
    public var staleAfter: Duration = .seconds(10)
    /// Modbus unit id the bank answers on (default: its position, 1-based).
    public var unitId: Int
    /// Rules for the charge voltage and charge/discharge current limits.
    public var limits = BankLimitsConfig()
    /// What the inverters are told beyond the limit rules (fallback charge voltage, low cut-off).
    public var inverter = InverterCommandSettings()
    /// How the bank is charged (phases, holds, ramps).
    public var charge = ChargeConfig()
    public var location: SourceLocation

    /// A bank of `packs` answering on Modbus `unitId`, no limits configured.
    public init(id: String, packs: [String], unitId: Int, location: SourceLocation) {
        self.id = id
        self.packs = packs
        self.unitId = unitId
        self.location = location
    }
}
