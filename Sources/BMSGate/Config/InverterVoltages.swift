/// The voltages every inverter link of a bank says, gathered in one place: the bank's
/// `limits: {discharge_voltage}` and, for site files written before it existed, the
/// `charge_voltage` / `discharge_voltage` keys of its can and pylon-rs485 sinks. A sink's
/// value applies to the whole bank; two places that disagree are an error (the links
/// would tell the inverter different things), as is a charge voltage not above the
/// discharge voltage.
enum InverterVoltages {
    /// The voltages one sink gives its bank.
    struct Given {
        var bank: String
        var chargeVoltage: Double?
        var dischargeVoltage: Double?
    }

    /// Fills each bank's `inverter` settings from its sinks; the issues found.
    static func merge(banks: inout [BankConfig], sinks: [SinkConfig]) -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        var dischargeFrom: [String: String] = [:], chargeFrom: [String: String] = [:]
        for bank in banks where bank.inverter.dischargeVoltage != nil {
            dischargeFrom[bank.id] = "the limits of bank '\(bank.id)' (\(bank.location))"
        }
        for sink in sinks {
            guard let given = (sink.settings as? any InverterVoltageSource)?.givenVoltages,
                  let b = banks.firstIndex(where: { $0.id == given.bank }) else { continue }
            let here = "the \(sink.typeName) sink (\(sink.location))"
            if let v = given.dischargeVoltage {
                if let current = banks[b].inverter.dischargeVoltage, current != v {
                    issues.append(ConfigIssue(sink.location, "discharge_voltage \(format(v)) V differs from \(format(current)) V given by \(dischargeFrom[given.bank] ?? "another sink"): every inverter link of bank '\(given.bank)' says the same; set it once, in the bank's limits"))
                } else {
                    banks[b].inverter.dischargeVoltage = v
                    dischargeFrom[given.bank] = dischargeFrom[given.bank] ?? here
                }
            }
            if let v = given.chargeVoltage {
                if let current = banks[b].inverter.chargeVoltage, current != v {
                    issues.append(ConfigIssue(sink.location, "charge_voltage \(format(v)) V differs from \(format(current)) V given by \(chargeFrom[given.bank] ?? "another sink"): every inverter link of bank '\(given.bank)' says the same; set it once, in the bank's limits"))
                } else {
                    banks[b].inverter.chargeVoltage = v
                    chargeFrom[given.bank] = chargeFrom[given.bank] ?? here
                }
            }
        }
        for bank in banks {
            guard let dvl = bank.inverter.dischargeVoltage, let cvl = bank.limits.chargeVoltage ?? bank.inverter.chargeVoltage else { continue }
            if cvl <= dvl {
                issues.append(ConfigIssue(bank.location, "bank '\(bank.id)': the charge voltage (\(format(cvl)) V) must be above the discharge voltage (\(format(dvl)) V), or the inverter is told to charge and discharge past each other"))
            }
        }
        return issues
    }

    static func format(_ v: Double) -> String { JSONValue.numberText(v) }
}

/// A sink whose settings carry voltages for its bank's inverter (the can and pylon-rs485
/// sinks' legacy `charge_voltage` / `discharge_voltage`).
protocol InverterVoltageSource {
    var givenVoltages: InverterVoltages.Given { get }
}
