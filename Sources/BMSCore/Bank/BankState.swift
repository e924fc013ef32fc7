/// Whether a bank's packs have fresh data. Its raw value is what the JSON, MQTT and the
/// terminal say; `modbusCode` what the Modbus maps carry.
public enum BankState: String, Sendable, CaseIterable {
    /// Every pack online.
    case ok
    /// Some packs offline (the bank runs on the others).
    case degraded
    /// No pack online: nothing fresh to tell an inverter.
    case offline

    /// The Modbus maps' code: 0 ok, 1 degraded, 2 offline.
    public var modbusCode: UInt16 {
        switch self {
        case .ok: 0
        case .degraded: 1
        case .offline: 2
        }
    }
}
