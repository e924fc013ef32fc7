import BMSDriverKit

/// The REC error numbers (ERRO answer, also blinked by the error LED). Numbers 1-6 as the
/// REC manuals describe them; others are reported by number as an internal fault.
public enum RECError {
    /// Text and canonical alarms of error `number`.
    public static func describe(_ number: Int) -> (text: String, alarms: Alarms) {
        switch number {
        case 1: ("cell voltage too high (cell over-voltage switch-off)", .cellOvervoltage)
        case 2: ("cell voltage too low (cell under-voltage protection switch-off)", .cellUndervoltage)
        case 3: ("cell voltages differ more than set", .cellImbalance)
        case 4: ("cell temperature too high (over-temperature switch-off)", [.chargeOvertemperature, .dischargeOvertemperature])
        case 5: ("BMS temperature too high (BMS over-temperature switch-off)", .mosOvertemperature)
        case 6: ("number of cells or address not set properly", .internalFault)
        default: ("error \(number)", .internalFault)
        }
    }

    /// The status text and alarms of an ERRO answer (`flag, unit, number, cell/sensor`).
    public static func decode(_ fixed: [Double]) -> (status: String?, alarms: Alarms) {
        guard fixed.count >= 4, fixed[0] != 0 else { return (nil, []) }
        let number = Int(fixed[2])
        let (text, alarms) = describe(number)
        return ("REC error \(number): \(text) (BMS unit \(Int(fixed[1])), cell/sensor \(Int(fixed[3])))", alarms)
    }
}
