import BMSDriverKit

/// The REC error numbers (ERRO answer, also blinked by the error LED).
///
/// The instruction set gives the range only ("error number (1-16)"). Texts 1-11 follow the
/// error table of the REC manuals (REC Active BMS 4S, table 7 "BMS error states"); what the
/// BMS does in each state decides the canonical alarms, so an inverter link sees the same
/// charge or discharge block the BMS applies. Numbers 12-16 are inside the documented range
/// but no public REC document names them: they are reported by number as an internal fault,
/// which blocks charging and discharging like every unnamed fault. Numbers outside 1-16 are
/// not in the instruction set at all and say so.
public enum RECError {
    /// The numbers the instruction set's ERRO answer can carry.
    public static let documentedRange = 1...16

    /// Text and canonical alarms of error `number`.
    public static func describe(_ number: Int) -> (text: String, alarms: Alarms) {
        switch number {
        case 1: ("cell voltage too high (cell over-voltage switch-off)", .cellOvervoltage)
        case 2: ("cell voltage too low (cell under-voltage protection switch-off)", .cellUndervoltage)
        case 3: ("cell voltages differ more than set", .cellImbalance)
        case 4: ("cell temperature too high (over-temperature switch-off)", [.chargeOvertemperature, .dischargeOvertemperature])
        case 5: ("BMS temperature too high (BMS over-temperature switch-off)", .mosOvertemperature)
        case 6: ("number of cells or address not set properly", .internalFault)
        case 7: ("temperature too low for charging (under-temperature charging disable)", .chargeUndertemperature)
        case 8: ("temperature sensor error (unplugged or not working)", .sensorFault)
        case 9: ("communication error (RS-485 master-slave)", .communication)
        case 10: ("cell in short circuit or BMS measurement error (cell voltage near zero or out of range: blown fuse, short or measuring failure)", [.shortCircuit, .internalFault])
        case 11: ("main relay in short circuit (current flows while the relay should be open)", .internalFault)
        case documentedRange: ("error \(number) (in the instruction set's range 1-16; no public REC text names it)", .internalFault)
        default: ("error \(number) (outside the instruction set's range 1-16)", .internalFault)
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
