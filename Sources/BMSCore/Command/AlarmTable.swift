/// How an inverter hears one canonical alarm: which direction it stops, and how the
/// inverter links report it. The one table every link reads (CAN 0x359/0x35A, Pylontech
/// 0x44/0x62, SunSpec events): no link decides on its own what an alarm means.
public struct AlarmClass: Sendable, Equatable {
    /// What the inverter is told the alarm is.
    public enum Severity: Sendable, Equatable {
        /// The BMS acted (or must): reported as a protection.
        case protection
        /// Worth knowing, stops nothing by itself: reported as a warning.
        case warning
        /// The battery cannot vouch for its data (a fault, a lost or duplicated pack):
        /// reported as "system error" where the protocol has one.
        case systemError
    }

    public var stopsCharge: Bool
    public var stopsDischarge: Bool
    public var severity: Severity
}

extension CanonicalAlarm {
    /// This alarm's row in the table.
    public var inverterClass: AlarmClass {
        switch self {
        case .cellOvervoltage, .packOvervoltage, .chargeOvercurrent, .chargeOvertemperature, .chargeUndertemperature:
            AlarmClass(stopsCharge: true, stopsDischarge: false, severity: .protection)
        case .cellUndervoltage, .packUndervoltage, .dischargeOvercurrent, .dischargeOvertemperature, .dischargeUndertemperature, .lowSoc:
            AlarmClass(stopsCharge: false, stopsDischarge: true, severity: .protection)
        case .shortCircuit, .mosOvertemperature:
            AlarmClass(stopsCharge: true, stopsDischarge: true, severity: .protection)
        case .sensorFault, .internalFault, .duplicatePack:
            AlarmClass(stopsCharge: true, stopsDischarge: true, severity: .systemError)
        case .communication:
            // A pack without fresh data: the failsafe decides the currents (zero or share).
            AlarmClass(stopsCharge: false, stopsDischarge: false, severity: .systemError)
        case .cellImbalance:
            AlarmClass(stopsCharge: false, stopsDischarge: false, severity: .warning)
        }
    }

    /// Alarms that stop charging.
    public var stopsCharge: Bool { inverterClass.stopsCharge }

    /// Alarms that stop discharging.
    public var stopsDischarge: Bool { inverterClass.stopsDischarge }
}
