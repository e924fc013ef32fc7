import Yams

/// `unit_id` of a modbus-tcp sink: a number (the first bank's unit id; later banks follow
/// on the next ids) or a mapping `{bank: id, ...}`.
enum ModbusUnitIds {
    /// Key standing for "the first bank" until the banks are known.
    static let firstBank = "\u{0}first"

    static func parse(_ node: Node, _ d: ConfigDiagnostics) -> [String: Int] {
        func id(_ v: Node) -> Int? {
            guard let text = v.string, let n = DriverOptionsParsing.integer(text), (1...247).contains(n) else {
                d.report(v, "a Modbus unit id must be a whole number within 1...247")
                return nil
            }
            return n
        }
        switch node {
        case .scalar:
            return id(node).map { [firstBank: $0] } ?? [:]
        case .mapping(let mapping):
            var out: [String: Int] = [:]
            for (k, v) in mapping {
                guard let bank = k.string else { continue }
                if let n = id(v) { out[bank] = n }
            }
            return out
        default:
            d.report(node, "'unit_id' of the modbus-tcp sink must be a number or a mapping of bank: unit id")
            return [:]
        }
    }
}

extension ModbusSinkSettings {
    /// Turns a plain `unit_id: N` into ids for every bank in order (N, N+1, ...).
    mutating func resolveFirstBank(_ banks: [BankConfig]) {
        guard let first = unitIds.removeValue(forKey: ModbusUnitIds.firstBank) else { return }
        for (i, bank) in banks.enumerated() where first + i <= 247 { unitIds[bank.id] = first + i }
    }
}
