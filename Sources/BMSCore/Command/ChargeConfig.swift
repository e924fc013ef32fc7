/// How a bank is charged (`banks[].charge:`): phases, their thresholds, and the holds and
/// ramps that keep limits from oscillating. Every value has an LFP default; voltages are
/// per cell (multiplied by the cells in series the packs report).
public struct ChargeConfig: Sendable, Equatable {
    /// Absorption voltage per cell, V; nil: the bank's `charge_voltage` limit per cell, else 3.45.
    public var absorptionCellVoltage: Double?
    /// Float voltage per cell, V; nil: 0.075 V per cell below the absorption voltage (3.375 for LFP).
    public var floatCellVoltage: Double?
    /// Absorption ends when the cell spread stays under this (V) ...
    public var absorptionSpread = 0.02
    /// ... and the charge current under this (A; nil: 2 % of the bank's capacity in Ah, 0.02 C) ...
    public var tailCurrent: Double?
    /// ... for this long.
    public var absorptionHold: Duration = .seconds(300)
    /// Absorption ends after this long in any case.
    public var absorptionMax: Duration = .seconds(7200)
    /// How fast the charge voltage moves down to float (or up again), V per minute (bank voltage).
    public var voltageRamp = 0.3
    /// Back to bulk when the bank SoC falls under this, %.
    public var rebulkSoc = 90.0
    /// Back to bulk when the lowest cell falls under this, V.
    public var rebulkCellVoltage = 3.2
    /// Back to bulk when the last full charge is this old (nil: never for this reason).
    public var fullEvery: Duration? = .seconds(7 * 86400)
    /// A current limit that may rise waits this long first ...
    public var riseHold: Duration = .seconds(10)
    /// ... then rises at most this fast, in fractions of its configured maximum per second
    /// (0.1: from 0 to full in 10 s).
    public var currentRamp = 0.1
    /// The highest cell is held this far under `cell_voltage_max` by lowering the charge voltage, V.
    public var cellMargin = 0.01
    /// The highest-cell hold watches from this far under that ceiling, V (0.15: from 3.44 V
    /// for a 3.60 V `cell_voltage_max`, where LFP's steep end begins) ...
    public var cellHoldBand = 0.15
    /// ... and moves the charge voltage down at most this fast while the cell is under the
    /// ceiling, V a second of bank voltage (at once at the ceiling).
    public var cellHoldRamp = 0.1
    /// Whose SoC the inverters are told (`banks[].soc`): the BMSes' or the gateway's count.
    public var socSource: SocSource = .bms
    /// Charge efficiency of the gateway's count (Ah stored per Ah in).
    public var chargeEfficiency = 0.99
    /// With the gateway's SoC: report at most 99 % until absorption ends (for inverters that
    /// stop charging at 100 %, before the cells are full and balanced).
    public var holdFullUntilAbsorbed = false

    /// Whose SoC is reported.
    public enum SocSource: String, Sendable, Equatable {
        case bms
        case gateway
    }

    /// The benchmark's baseline (`charge: {rules: memoryless}`): the limit rules as they are,
    /// per snapshot, without phases, cell control, holds, ramps or hysteresis (the gateway
    /// before charge control). Not for sites.
    public var memoryless = false

    /// Every value at its default.
    public init() {}

    /// The float voltage per cell for an absorption voltage per cell.
    public func floatCell(absorptionCell: Double) -> Double { floatCellVoltage ?? absorptionCell - 0.075 }
}
