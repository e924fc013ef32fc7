/// What an inverter sends on the battery's CAN bus, decoded: Pylon-speaking inverters send a
/// 0x305 keepalive (its bytes carry nothing); SMA's Sunny Island sends its own measurements
/// in 0x305 (battery voltage 0.1 V, current 0.1 A, temperature 0.1 °C, SoC %), 0x306 (SoH %,
/// charge procedure, operating state, active error, charge voltage setpoint 0.1 V) and 0x307
/// (relay state); Victron GX devices send 0x305/0x306 and a 0x307 ending in "VIC";
/// Luxpower sends 0x300 (byte 0 bit 0: shut the battery down).
public enum InverterFrames {
    /// The ids an inverter sends.
    public static let ids: Set<UInt32> = [0x300, 0x305, 0x306, 0x307]

    /// The fields `frame` carries for `profile` (empty for a bare keepalive); nil when it is
    /// not an inverter frame.
    public static func decode(_ frame: CANFrame, profile: CANProfile) -> [(String, Double)]? {
        guard !frame.extended, ids.contains(frame.id) else { return nil }
        let d = frame.data
        func u16(_ i: Int) -> Double? { d.count >= i + 2 ? Double(UInt16(d[i]) | UInt16(d[i + 1]) << 8) : nil }
        func s16(_ i: Int) -> Double? { d.count >= i + 2 ? Double(Int16(bitPattern: UInt16(d[i]) | UInt16(d[i + 1]) << 8)) : nil }
        var out: [(String, Double)] = []
        switch (frame.id, profile) {
        case (0x305, .sma):
            if let v = u16(0) { out.append(("battery_voltage", v / 10)) }
            if let i = s16(2) { out.append(("battery_current", i / 10)) }
            if let t = s16(4) { out.append(("battery_temperature", t / 10)) }
            if let soc = u16(6) { out.append(("soc", soc)) }
        case (0x306, .sma):
            if let soh = u16(0) { out.append(("soh", soh)) }
            if d.count >= 3 { out.append(("charge_procedure", Double(d[2]))) }
            if d.count >= 4 { out.append(("operating_state", Double(d[3]))) }
            if let e = u16(4) { out.append(("active_error", e)) }
            if let v = u16(6) { out.append(("charge_voltage_setpoint", v / 10)) }
        case (0x307, _):
            if d.count >= 7, d[4] == 0x56, d[5] == 0x49, d[6] == 0x43 { out.append(("victron", 1)) }
        case (0x300, _):
            if let first = d.first { out.append(("shutdown_request", Double(first & 1))) }
        default:
            break
        }
        return out
    }
}

/// Battery frames in words, for `bmsgate simulate --inverter` and the docs' examples.
public enum CANFrameText {
    /// One line describing `frame` (the ids mean the same in every profile).
    public static func describe(_ frame: CANFrame) -> String {
        let d = frame.data
        func u16(_ i: Int) -> Double { d.count >= i + 2 ? Double(UInt16(d[i]) | UInt16(d[i + 1]) << 8) : .nan }
        func s16(_ i: Int) -> Double { d.count >= i + 2 ? Double(Int16(bitPattern: UInt16(d[i]) | UInt16(d[i + 1]) << 8)) : .nan }
        func f(_ v: Double, _ digits: Int = 1) -> String { v.isNaN ? "?" : String(format: "%.\(digits)f", v) }
        let ascii = String(decoding: d.map { (0x20...0x7E).contains($0) ? $0 : 0x3F }, as: UTF8.self)
        let text: String
        switch frame.id {
        case 0x351:
            text = "charge ≤ \(f(u16(0) / 10)) V, ≤ \(f(s16(2) / 10)) A; discharge ≤ \(f(s16(4) / 10)) A, ≥ \(f(u16(6) / 10)) V"
        case 0x355:
            text = "SoC \(f(u16(0), 0)) %, SoH \(f(u16(2), 0)) %" + (d.count >= 6 ? (u16(4) == 65535 ? ", SoC (0.01) n/a" : ", SoC \(f(u16(4) / 100, 2)) %") : "")
        case 0x356:
            text = "\(f(s16(0) / 100, 2)) V, \(f(s16(2) / 10)) A, \(f(s16(4) / 10)) °C"
        case 0x359:
            text = String(format: "protection %02X %02X, alarm %02X %02X, modules %d", d.count > 0 ? d[0] : 0, d.count > 1 ? d[1] : 0,
                          d.count > 2 ? d[2] : 0, d.count > 3 ? d[3] : 0, d.count > 4 ? Int(d[4]) : 0)
        case 0x35A:
            text = "alarms " + d.prefix(4).map { String(format: "%02X", $0) }.joined() + ", warnings " + d.dropFirst(4).map { String(format: "%02X", $0) }.joined()
        case 0x35C:
            let b = d.first ?? 0
            text = "charge \(b & 0x80 != 0 ? "enabled" : "DISABLED"), discharge \(b & 0x40 != 0 ? "enabled" : "DISABLED")"
                + (b & 0x20 != 0 ? ", force charge I" : "") + (b & 0x10 != 0 ? ", force charge II" : "") + (b & 0x08 != 0 ? ", full charge request" : "")
        case 0x35E, 0x370, 0x371:
            text = "\"\(ascii)\""
        case 0x35F:
            text = "type \(f(u16(0), 0)), BMS version \(String(format: "%04X", Int(u16(2).isNaN ? 0 : u16(2)))), capacity \(f(u16(4), 0)) Ah"
        case 0x372:
            text = "modules online \(f(u16(0), 0)), blocking charge \(f(u16(2), 0)), blocking discharge \(f(u16(4), 0)), offline \(f(u16(6), 0))"
        case 0x373:
            text = "cells \(f(u16(0) / 1000, 3))-\(f(u16(2) / 1000, 3)) V, \(f(u16(4) - 273, 0))-\(f(u16(6) - 273, 0)) °C"
        case 0x379:
            text = "installed capacity \(f(u16(0), 0)) Ah"
        default:
            text = d.map { String(format: "%02X", $0) }.joined(separator: " ")
        }
        return "\(frame)  \(text)"
    }
}
