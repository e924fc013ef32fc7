/// The frame sets an inverter can be spoken to in (docs/inverters.md lists every frame with
/// its source). All multi-byte values are little-endian; ids are 11-bit.
public enum CANProfile: String, Sendable, CaseIterable {
    /// Pylontech LV CAN V1.2: what Deye/Sunsynk/Sol-Ark, Growatt, Goodwe, Luxpower, Sofar,
    /// Solis and most hybrid inverters expect from a "Pylontech" battery.
    case pylon
    /// SMA Sunny Island "LiIon_Ext-BMS" (FSS-ConnectingBat-TI-en-10).
    case sma
    /// Victron GX (CAN-bus BMS, 500 kbit/s): the SMA set plus names, module counts, cell
    /// extremes and installed capacity.
    case victron

    /// The shortest gap between two frames (SMA: no two frames closer than 200 ms).
    public var minimumGapMs: Int { self == .sma ? 200 : 0 }

    /// The manufacturer name sent in 0x35E unless the sink sets one ("PYLON" is what Deye
    /// and others match on).
    public var defaultManufacturer: String { self == .pylon ? "PYLON" : "BMSGATE" }
}

/// Inverter quirks a profile can be told about, each with its reason (docs/inverters.md).
public enum CANQuirk: String, Sendable, CaseIterable {
    /// Sofar ignores a limit of zero: "stop" is sent as 0.1 A (and 0.1 V).
    case nonzeroStop = "nonzero_stop"
    /// Sol-Ark wants every frame 8 bytes long (short frames padded with zeros).
    case eightByteFrames = "eight_byte_frames"
    /// Deye may not honour the charge current limit: while charging is stopped the charge
    /// voltage limit is lowered to the bank voltage, the stop it does honour.
    case cvlStop = "cvl_stop"
}

/// A profile's frames for one state, and what had to be clamped to fit the profile's ranges.
public struct CANFrameSet: Sendable, Equatable {
    public var frames: [CANFrame]
    /// Values outside the profile's documented ranges, as sent after clamping.
    public var clamped: [String]
}

extension CANProfile {
    /// The frames for `state`, in sending order.
    public func frames(_ state: CANBatteryState, quirks: Set<CANQuirk> = [], manufacturer: String? = nil,
                       name: String = "bmsgate", bmsVersion: UInt16 = 0x0100) -> CANFrameSet {
        var s = state
        if quirks.contains(.cvlStop), !s.chargeEnabled, let v = s.voltage, v < s.chargeVoltage {
            s.chargeVoltage = (v * 10).rounded(.down) / 10
        }
        if quirks.contains(.nonzeroStop) {
            s.chargeCurrent = max(s.chargeCurrent, 0.1)
            s.dischargeCurrent = max(s.dischargeCurrent, 0.1)
            s.chargeVoltage = max(s.chargeVoltage, 0.1)
        }
        var payloads: [CANPayload]
        let maker = manufacturer ?? defaultManufacturer
        switch self {
        case .pylon: payloads = PylonFrames.payloads(s, enables: state, manufacturer: maker)
        case .sma: payloads = SMAFrames.payloads(s, manufacturer: maker, bmsVersion: bmsVersion, ranges: true)
        case .victron:
            payloads = SMAFrames.payloads(s, manufacturer: maker, bmsVersion: bmsVersion, ranges: false)
                + VictronFrames.payloads(s, name: name)
        }
        let pad = quirks.contains(.eightByteFrames) ? 8 : nil
        return CANFrameSet(frames: payloads.map { $0.frame(padTo: pad) }, clamped: payloads.flatMap(\.clamped))
    }
}
