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
        var origins: [String: Origins] = [:]
        for bank in banks where bank.inverter.dischargeVoltage != nil {
            origins[bank.id, default: Origins()].discharge = "the limits of bank '\(bank.id)' (\(bank.location))"
        }
        for sink in sinks {
            guard let given = (sink.settings as? any InverterVoltageSource)?.givenVoltages,
                  let b = banks.firstIndex(where: { $0.id == given.bank }) else { continue }
            let here = "the \(sink.typeName) sink (\(sink.location))"
            // The same rule for both voltages: the first place sets it, a different value is an error.
            for (key, value, field, from) in [("discharge_voltage", given.dischargeVoltage, \InverterCommandSettings.dischargeVoltage, \Origins.discharge),
                                              ("charge_voltage", given.chargeVoltage, \InverterCommandSettings.chargeVoltage, \Origins.charge)] {
                guard let v = value else { continue }
                if let current = banks[b].inverter[keyPath: field], current != v {
                    let origin = origins[given.bank]?[keyPath: from] ?? "another sink"
                    issues.append(ConfigIssue(sink.location, "\(key) \(format(v)) V differs from \(format(current)) V given by \(origin): every inverter link of bank '\(given.bank)' says the same; set it once, in the bank's limits"))
                } else {
                    banks[b].inverter[keyPath: field] = v
                    if origins[given.bank, default: Origins()][keyPath: from] == nil { origins[given.bank, default: Origins()][keyPath: from] = here }
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

    /// Where each voltage of a bank was first given, for the messages.
    struct Origins {
        var discharge: String?
        var charge: String?
    }
}

/// A sink whose settings carry voltages for its bank's inverter (the can and pylon-rs485
/// sinks' legacy `charge_voltage` / `discharge_voltage`).
protocol InverterVoltageSource {
    var givenVoltages: InverterVoltages.Given { get }
}
