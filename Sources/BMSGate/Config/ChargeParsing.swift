import Yams

/// Reads a bank's `charge:` section (phases, holds, ramps); every key is optional and each
/// mistake is reported at its FILE:LINE:COL.
enum ChargeParsing {
    static let keys = ["absorption_cell_voltage", "float_cell_voltage", "absorption_spread", "tail_current", "absorption_hold",
                       "absorption_max", "voltage_ramp", "rebulk_soc", "rebulk_cell_voltage", "full_every", "rise_hold", "current_ramp",
                       "cell_margin", "cell_hold_band", "cell_hold_ramp", "charge_efficiency", "report_99_until_full", "rules"]

    static func parse(_ node: Node, bank: BankConfig, _ d: ConfigDiagnostics) -> ChargeConfig {
        var c = bank.charge
        let what = "charge of bank '\(bank.id)'"
        guard let s = YAMLSection(node, what: what, diagnostics: d) else { return c }
        s.reject(unknownBut: keys)
        c.absorptionCellVoltage = s.number("absorption_cell_voltage", in: 2...5)
        c.floatCellVoltage = s.number("float_cell_voltage", in: 2...5)
        c.absorptionSpread = s.number("absorption_spread", in: 0.001...0.5) ?? c.absorptionSpread
        c.tailCurrent = s.number("tail_current", in: 0...10_000)
        c.absorptionHold = s.duration("absorption_hold") ?? c.absorptionHold
        c.absorptionMax = s.duration("absorption_max", minimum: .seconds(60)) ?? c.absorptionMax
        c.voltageRamp = s.number("voltage_ramp", in: 0.001...10) ?? c.voltageRamp
        c.rebulkSoc = s.number("rebulk_soc", in: 0...100) ?? c.rebulkSoc
        c.rebulkCellVoltage = s.number("rebulk_cell_voltage", in: 2...4.5) ?? c.rebulkCellVoltage
        if let v = s.value("full_every") {
            if v.string == "never" { c.fullEvery = nil } else { c.fullEvery = s.duration("full_every", minimum: .seconds(3600)) ?? c.fullEvery }
        }
        c.riseHold = s.duration("rise_hold") ?? c.riseHold
        c.currentRamp = s.number("current_ramp", in: 0.001...10) ?? c.currentRamp
        c.cellMargin = s.number("cell_margin", in: 0...0.2) ?? c.cellMargin
        c.cellHoldBand = s.number("cell_hold_band", in: 0.02...0.5) ?? c.cellHoldBand
        c.cellHoldRamp = s.number("cell_hold_ramp", in: 0.001...10) ?? c.cellHoldRamp
        if let v = s.value("rules") {
            if v.string == "memoryless" { c.memoryless = true } else if v.string != "controller" {
                d.report(v, "'rules' in \(what) must be controller (default) or memoryless (the benchmark's baseline: no phases, holds or ramps)")
            }
        }
        c.chargeEfficiency = s.number("charge_efficiency", in: 0.5...1) ?? c.chargeEfficiency
        c.holdFullUntilAbsorbed = s.bool("report_99_until_full") ?? c.holdFullUntilAbsorbed
        if let absorption = c.absorptionCellVoltage, let float = c.floatCellVoltage, float >= absorption {
            d.report(s.value("float_cell_voltage"), "'float_cell_voltage' (\(float) V) in \(what) must be below 'absorption_cell_voltage' (\(absorption) V)")
        }
        if let absorption = c.absorptionCellVoltage, let cellMax = bank.limits.cellVoltageMax, absorption > cellMax {
            d.report(s.value("absorption_cell_voltage"), "'absorption_cell_voltage' (\(absorption) V) in \(what) is above the bank's 'cell_voltage_max' (\(cellMax) V): the cell control would hold it down all the time")
        }
        if c.absorptionHold >= c.absorptionMax {
            d.report(s.value("absorption_hold") ?? s.value("absorption_max"), "'absorption_hold' in \(what) must be shorter than 'absorption_max'")
        }
        return c
    }
}
