import BMSDriverKit
import BMSGateTestSupport

/// Public captures of JK BLE answers (300 bytes each) used as golden frames.
enum JKBLECaptures {
    /// Device info of a JK_BD4A8S4P, hardware 15A, software 15.26 (ubmsc's test capture; its device
    /// name was anonymised by the publisher, so the checksum byte is recomputed).
    static let deviceInfo32S = Capture.bytes("deviceInfo32S")
    /// Cell info of the same BMS (JK02_32S layout, 6 cells), as published with ubmsc.
    static let cellInfo32S = Capture.bytes("cellInfo32S")
    /// Cell info of a 16-cell JK BMS with the JK02_24S layout (esphome-jk-bms notes).
    static let cellInfo24S = Capture.bytes("cellInfo24S")
    /// Cell info of an old JK BMS with the float JK04 layout (esphome-jk-bms notes).
    static let cellInfoJK04 = Capture.bytes("cellInfoJK04")
}
