import Foundation

extension InverterCommand {
    /// The bank's `limits` in JSON: what every inverter link says, and the charge phase.
    public func json(now: Date) -> JSONValue {
        let l = limits
        var o = JSONObject()
        for (field, value) in FieldCatalog.limits { o[field.name] = value(l).map(JSONValue.number) }
        o["discharge_voltage"] = dischargeVoltage > 0 ? .number(dischargeVoltage) : nil
        o["charge_enabled"] = .bool(chargeEnabled)
        o["discharge_enabled"] = .bool(dischargeEnabled)
        o["failsafe"] = .bool(failsafe)
        o["soc"] = soc.map(JSONValue.number)
        o["soc_gateway"] = gatewaySoc.map { .number(($0 * 100).rounded() / 100) }
        o["reasons"] = .array(reasons.map { .string($0.text) })
        var p = JSONObject()
        p["name"] = .string(phase.rawValue)
        if let since = phaseInfo.since {
            p["since"] = .string(ISOTime.format(since))
            p["seconds"] = .number(max(0, now.timeIntervalSince(since)).rounded())
        }
        p["last_full_charge"] = phaseInfo.lastFullCharge.map { .string(ISOTime.format($0)) } ?? .null
        if !phaseInfo.reason.isEmpty { p["reason"] = .string(phaseInfo.reason) }
        o["phase"] = .object(p)
        return .object(o)
    }
}
