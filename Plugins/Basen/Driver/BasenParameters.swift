import BMSDriverKit

/// Protection (0x43 0xE0) and alarm (0x43 0x00) parameter tables. An answer is a list of
/// `(index, size=2, value16)`; the index selects the name, the conversion gives SI units.
public enum BasenParameters {
    /// How a raw value becomes a physical one.
    public enum Conversion: Sendable {
        /// Kept as sent (delays, times, styles).
        case raw
        /// Divided by the factor (voltages, currents).
        case divide(Double)
        /// Offset-coded temperature: raw − offset, °C.
        case minus(Double)

        /// The physical value of `raw`.
        public func apply(_ raw: UInt16) -> Double {
            switch self {
            case .raw: Double(raw)
            case .divide(let f): Double(raw) / f
            case .minus(let o): Double(raw) - o
            }
        }
    }

    private static let mv: Conversion = .divide(1000)
    private static let cv: Conversion = .divide(100)
    private static let t: Conversion = .minus(50)

    /// Protection parameters by index.
    public static let protection: [(name: String, conversion: Conversion)] = [
        ("CELL_OV_Start", mv), ("CELL_OV_Delay", .raw), ("CELL_OV_Stop", mv),
        ("CELL_UV_Start", mv), ("CELL_UV_Delay", .raw), ("CELL_UV_Stop", mv),
        ("PACK_OV_Start", cv), ("PACK_OV_Delay", .raw), ("PACK_OV_Stop", cv),
        ("PACK_UV_Start", cv), ("PACK_UV_Delay", .raw), ("PACK_UV_Stop", cv),
        ("Const_Pack_V", cv), ("Const_Current", mv),
        ("CHG_OC1_Start", cv), ("CHG_OC1_Delay", .raw), ("DISC_OC1_Start", cv), ("DISC_OC1_Delay", .raw),
        ("CHG_OC2_Start", cv), ("CHG_OC2_Delay", .raw), ("DISC_OC2_Start", cv), ("DISC_OC2_Delay", .raw),
        ("CHG_OT_START", t), ("CHG_OT_Delay", .raw), ("CHG_OT_STOP", t),
        ("DISC_OT_START", t), ("DISC_OT_Delay", .raw), ("DISC_OT_STOP", t),
        ("CHG_UT_START", t), ("CHG_UT_Delay", .raw), ("CHG_UT_STOP", t),
        ("DISC_UT_START", t), ("DISC_UT_Delay", .raw), ("DISC_UT_STOP", t),
        ("MOS_OT_START", t), ("MOS_OT_Delay", .raw), ("MOS_OT_STOP", t),
        ("ENV_OT_START", t), ("ENV_OT_Delay", .raw), ("ENV_OT_STOP", t),
        ("ENV_UT_START", t), ("ENV_UT_Delay", .raw), ("ENV_UT_STOP", t),
        ("Balance_Start_Vol", mv), ("Balance_Start_Diff", mv), ("Sleep_Cell_Volt", mv),
        ("Shorts_Delay", cv), ("Standby_Time", .raw), ("UV_OFF_Time", .divide(60)),
        ("LC_Style", .raw), ("Sleep_Time", .raw),
    ]

    /// Alarm parameters by index.
    public static let alarm: [(name: String, conversion: Conversion)] = [
        ("CELL_OV_Start_Alarm", mv), ("CELL_OV_Delay_Alarm", .raw), ("CELL_OV_Stop_Alarm", mv),
        ("CELL_UV_Start_Alarm", mv), ("CELL_UV_Delay_Alarm", .raw), ("CELL_UV_Stop_Alarm", mv),
        ("PACK_OV_Start_Alarm", cv), ("PACK_OV_Delay_Alarm", .raw), ("PACK_OV_Stop_Alarm", cv),
        ("PACK_UV_Start_Alarm", cv), ("PACK_UV_Delay_Alarm", .raw), ("PACK_UV_Stop_Alarm", cv),
        ("CHG_OC_Start_Alarm", cv), ("CHG_OC_Delay_Alarm", .raw), ("CHG_OC_Stop_Alarm", cv),
        ("DISC_OC_Start_Alarm", cv), ("DISC_OC_Delay_Alarm", .raw), ("DISC_OC_Stop_Alarm", cv),
        ("CHG_OT_START_Alarm", t), ("CHG_OT_Delay_Alarm", .raw), ("CHG_OT_STOP_Alarm", t),
        ("CHG_UT_START_Alarm", t), ("CHG_UT_Delay_Alarm", .raw), ("CHG_UT_STOP_Alarm", t),
        ("DISC_OT_START_Alarm", t), ("DISC_OT_Delay_Alarm", .raw), ("DISC_OT_STOP_Alarm", t),
        ("DISC_UT_START_Alarm", t), ("DISC_UT_Delay_Alarm", .raw), ("DISC_UT_STOP_Alarm", t),
        ("MOS_OT_START_Alarm", t), ("MOS_OT_Delay_Alarm", .raw), ("MOS_OT_STOP_Alarm", t),
        ("Capacity_Low_Start_Alarm", .raw), ("Capacity_Low_Stop_Alarm", .raw),
        ("Vol_Diff_Start_Alarm", mv), ("Vol_Diff_Stop_Alarm", mv),
        ("ENV_OT_START_Alarm", t), ("ENV_OT_Delay_Alarm", .raw), ("ENV_OT_STOP_Alarm", t),
        ("ENV_UT_START_Alarm", t), ("ENV_UT_Delay_Alarm", .raw), ("ENV_UT_STOP_Alarm", t),
    ]

    /// Decodes a parameter answer into (extra name, value) pairs using `table`.
    /// Extra names are the vendor names in lower case ("cell_ov_start", "cell_ov_start_alarm").
    public static func decode(_ data: [UInt8], table: [(name: String, conversion: Conversion)])
        throws(DriverError) -> [(String, Double)] {
        var out: [(String, Double)] = []
        var i = 0
        while i < data.count {
            guard i + 2 <= data.count else { throw .frame("parameter list cut at byte \(i)") }
            let index = Int(data[i])
            let size = Int(data[i + 1])
            guard size == 2 else { throw .frame("parameter \(index) has size \(size), expected 2") }
            guard i + 2 + size <= data.count else { throw .frame("parameter \(index) cut short") }
            let raw = UInt16(data[i + 2]) << 8 | UInt16(data[i + 3])
            if index < table.count {
                out.append((table[index].name.lowercased(), table[index].conversion.apply(raw)))
            }
            i += 2 + size
        }
        return out
    }

    /// Encodes values (raw, by index) as a parameter answer (used by the emulator).
    public static func encode(_ raws: [UInt16]) -> [UInt8] {
        raws.enumerated().flatMap { i, v in [UInt8(i), 2, UInt8(v >> 8), UInt8(v & 0xFF)] }
    }
}
