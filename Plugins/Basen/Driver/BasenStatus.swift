import BMSDriverKit

/// The Basen status bitmask (info type 0x06, 10 bytes): what each bit means, its kind,
/// the bit of the derived 16-bit error bitmask it sets, and the canonical alarms it raises.
public struct BasenStatus: Sendable, Equatable {
    /// Kind of a status bit.
    public enum Kind: Sendable { case info, alarm, fault }

    /// One documented bit.
    public struct Bit: Sendable {
        public let byte: Int
        public let mask: UInt8
        public let kind: Kind
        public let errorMask: UInt16
        public let text: String
        public let alarms: Alarms
    }

    /// The raw status bytes (10 of them in the info frame).
    public var bytes: [UInt8]

    /// Wraps raw status bytes.
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// The documented bits that are set, in table order.
    public var active: [Bit] {
        Self.bits.filter { $0.byte < bytes.count && bytes[$0.byte] & $0.mask != 0 }
    }
    /// Vendor texts of the set bits.
    public var texts: [String] { active.map(\.text) }
    /// Canonical alarms raised by the set bits.
    public var alarms: Alarms { Self.alarms(of: active) }
    /// The derived 16-bit error bitmask (see the seed's table).
    public var errorBitmask: UInt16 { Self.errorBitmask(of: active) }
    /// Any alarm-kind bit set.
    public var alarm: Bool { active.contains { $0.kind == .alarm } }
    /// Any fault-kind bit set.
    public var fault: Bool { active.contains { $0.kind == .fault } }
    /// The bytes as "00:00:...".
    public var bitmaskText: String { Hex.format(bytes, separator: ":", uppercase: true) }
    /// Summary text: the set bits joined, or "Idle".
    public var summary: String { Self.summary(of: active.map(\.text)) }

    /// Everything a reading takes from the status, from one look at the bits (it is
    /// decoded at every poll).
    public struct Report: Sendable {
        public var texts: [String]
        public var alarms: Alarms
        public var errorBitmask: UInt16
        public var alarm: Bool
        public var fault: Bool
        public var summary: String
    }

    /// The report of the set bits.
    public var report: Report {
        let active = self.active
        let texts = active.map(\.text)
        return Report(texts: texts, alarms: Self.alarms(of: active), errorBitmask: Self.errorBitmask(of: active),
                      alarm: active.contains { $0.kind == .alarm }, fault: active.contains { $0.kind == .fault },
                      summary: Self.summary(of: texts))
    }

    private static func alarms(of active: [Bit]) -> Alarms { active.reduce(into: Alarms()) { $0.formUnion($1.alarms) } }
    private static func errorBitmask(of active: [Bit]) -> UInt16 { active.reduce(0) { $0 | $1.errorMask } }
    private static func summary(of texts: [String]) -> String { texts.isEmpty ? "Idle" : texts.joined(separator: ", ") }

    /// True when a set bit says the charge MOSFET is off: switched off by hand, failed, or
    /// opened by a protection that stops charging (or both directions), or the pack locked.
    public var chargeOff: Bool { Self.chargeOffBits.contains { isSet($0) } }
    /// True when a set bit says the discharge MOSFET is off (as `chargeOff`, for discharge).
    public var dischargeOff: Bool { Self.dischargeOffBits.contains { isSet($0) } }

    private func isSet(_ bit: (byte: Int, mask: UInt8)) -> Bool { bit.byte < bytes.count && bytes[bit.byte] & bit.mask != 0 }

    /// Bits that open both MOSFETs: hot failure, battery locked, secondary trip, short
    /// circuit, ambient/environment temperature protections, MOSFET temperature protections,
    /// system lock.
    private static let bothOffBits: [(byte: Int, mask: UInt8)] = [
        (1, 0x08), (1, 0x10), (1, 0x80), (3, 0x04), (4, 0x01), (4, 0x02), (5, 0x20), (5, 0x40), (7, 0x80),
    ]
    /// Charge MOS fault, charge over/under-temperature protections, manual charge MOS off,
    /// charge switch kept open by low temperature.
    private static let chargeOffBits = bothOffBits + [(0, 0x20), (3, 0x40), (3, 0x80), (5, 0x02), (5, 0x80)]
    /// Cell voltage low fault, discharge MOS fault, discharge temperature protections,
    /// overcurrent protection, SoC low protection, manual discharge MOS off.
    private static let dischargeOffBits = bothOffBits + [(0, 0x08), (0, 0x40), (2, 0x01), (2, 0x02), (3, 0x08), (4, 0x10), (5, 0x08)]

    private static func bit(_ byte: Int, _ mask: UInt8, _ kind: Kind, _ errorMask: UInt16, _ text: String,
                            _ alarms: Alarms = []) -> Bit {
        Bit(byte: byte, mask: mask, kind: kind, errorMask: errorMask, text: text, alarms: alarms)
    }

    private static let bothUnder: Alarms = [.chargeUndertemperature, .dischargeUndertemperature]
    private static let bothOver: Alarms = [.chargeOvertemperature, .dischargeOvertemperature]

    /// Every documented bit.
    public static let bits: [Bit] = [
        bit(0, 0x08, .fault, 0x0004, "Cell voltage low fault", .cellUndervoltage),
        bit(0, 0x10, .fault, 0x0200, "Voltage line break", .sensorFault),
        bit(0, 0x20, .fault, 0x0801, "Charge MOS fault", .internalFault),
        bit(0, 0x40, .fault, 0x0801, "Dischare MOS fault", .internalFault),
        bit(0, 0x80, .fault, 0x0800, "Voltage sensor fault", .sensorFault),
        bit(1, 0x01, .fault, 0x0800, "NTC disconnection", .sensorFault),
        bit(1, 0x02, .fault, 0x0800, "ADC MOD fault", .internalFault),
        bit(1, 0x04, .fault, 0x0200, "Reverse battery", .internalFault),
        bit(1, 0x08, .fault, 0x0008, "Hot failure", bothOver),
        bit(1, 0x10, .alarm, 0x0001, "Battery locked", .internalFault),
        bit(1, 0x20, .alarm, 0x0001, "Communication timeout", .communication),
        bit(1, 0x40, .alarm, 0x0001, "SN code failure", .internalFault),
        bit(1, 0x80, .fault, 0x0801, "Secondary trip protection", .internalFault),
        bit(2, 0x01, .fault, 0x0008, "DISC_OV_TEMP_Protection", .dischargeOvertemperature),
        bit(2, 0x02, .fault, 0x0010, "DISC_UN_TEMP_Protection", .dischargeUndertemperature),
        bit(2, 0x40, .alarm, 0x0800, "536_COM_Timeout", .communication),
        bit(3, 0x01, .info, 0x0000, "Charging"),
        bit(3, 0x02, .info, 0x0000, "Discharging"),
        bit(3, 0x04, .fault, 0x0400, "Short Circuit Protection", .shortCircuit),
        bit(3, 0x08, .fault, 0x0080, "Overcurrent Protection", .dischargeOvercurrent),
        bit(3, 0x40, .fault, 0x0020, "CHG_OV_TEMP_Protection", .chargeOvertemperature),
        bit(3, 0x80, .fault, 0x0040, "CHG_UN_TEMP_Protection", .chargeUndertemperature),
        bit(4, 0x01, .fault, 0x0010, "Ambient_Low_TEMP_Protection", bothUnder),
        bit(4, 0x02, .fault, 0x0008, "ENV_High_TEMP_Protection", bothOver),
        bit(4, 0x10, .fault, 0x0001, "SOC Low protect", .lowSoc),
        bit(5, 0x01, .info, 0x0001, "Manual_CHG_MOS_Open"),
        bit(5, 0x02, .info, 0x0001, "Manual_CHG_MOS_Off"),
        bit(5, 0x04, .info, 0x0001, "Manual_DISC_MOS_Open"),
        bit(5, 0x08, .info, 0x0001, "Manual_DISC_MOS_Off"),
        bit(5, 0x10, .info, 0x0000, "Heating pad"),
        bit(5, 0x20, .fault, 0x0008, "MOSFET_OV_TEMP_Protection", .mosOvertemperature),
        bit(5, 0x40, .fault, 0x0010, "MOSFET_LO_TEMP_Protection", bothUnder),
        bit(5, 0x80, .fault, 0x0010, "CHG_Open_TEMP_Too_Low", .chargeUndertemperature),
        bit(7, 0x01, .alarm, 0x0001, "SOC_Low_Alarm2", .lowSoc),
        bit(7, 0x02, .alarm, 0x0001, "Vibration Alarm", .internalFault),
        bit(7, 0x04, .info, 0x0001, "Waiting to recharge during a break"),
        bit(7, 0x08, .fault, 0x0001, "Aerosol fault", .internalFault),
        bit(7, 0x10, .alarm, 0x0001, "SOH Low Alarm"),
        bit(7, 0x20, .fault, 0x0800, "NTC short circuit", .sensorFault),
        bit(7, 0x40, .alarm, 0x0001, "Temp_Diff Alarm", .sensorFault),
        bit(7, 0x80, .alarm, 0x0001, "System Lock", .internalFault),
        bit(8, 0x01, .alarm, 0x0008, "AMB_Over_TEMP_Alarm", bothOver),
        bit(8, 0x02, .alarm, 0x0010, "AMB_Low_TEMP_Alarm", bothUnder),
        bit(8, 0x04, .alarm, 0x0008, "MOS_Over_TEMP_Alarm", .mosOvertemperature),
        bit(8, 0x08, .alarm, 0x0001, "SOC_Low_Alarm", .lowSoc),
        bit(8, 0x10, .alarm, 0x1000, "Vol_DIF_Alarm", .cellImbalance),
        bit(8, 0x20, .alarm, 0x0008, "BAT_DISC_Over_TEMP_Alarm", .dischargeOvertemperature),
        bit(8, 0x40, .alarm, 0x0010, "BAT_DISC_Low_TEMP_Alarm", .dischargeUndertemperature),
        bit(9, 0x01, .alarm, 0x0002, "Cell_Over_VOL_Alarm", .cellOvervoltage),
        bit(9, 0x02, .alarm, 0x0004, "Cell_Low_VOL_Alarm", .cellUndervoltage),
        bit(9, 0x04, .alarm, 0x0002, "Pack_Over_VOL_Alarm", .packOvervoltage),
        bit(9, 0x08, .alarm, 0x0004, "Pack_Low_VOL_Alarm", .packUndervoltage),
        bit(9, 0x10, .alarm, 0x0100, "CHG_Over_CUR_Alarm", .chargeOvercurrent),
        bit(9, 0x20, .alarm, 0x0080, "DISC_Over_CURR_Alarm", .dischargeOvercurrent),
        bit(9, 0x40, .alarm, 0x0020, "BAT_CHG_Over_TEMP_Alarm", .chargeOvertemperature),
        bit(9, 0x80, .alarm, 0x0040, "BAT_CHG_Low_TEMP_Alarm", .chargeUndertemperature),
    ]
}
