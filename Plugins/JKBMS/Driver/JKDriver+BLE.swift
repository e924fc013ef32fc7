import BMSDriverKit
import CBMSDriver

/// The BLE side of the JK driver: the host's GATT client carries the bytes (writes to
/// 0xFFE1, notifications from 0xFFE1), this side speaks JK's BLE commands and answers.
/// The device info is read once per connection; it selects the cell layout unless the
/// pack's `protocol_version` forces one.
final class JKBLESession {
    let link: Link
    let forced: JKBLELayout?
    var info: JKBLEDeviceInfo?
    var assembler = JKBLEAssembler()
    var buffer: [UInt8] = []
    /// The last settings answer (it arrives before each cell-info answer after 0x96).
    var settings: [(String, Double)] = []

    init(link: Link, options: DriverOptions) throws(DriverError) {
        self.link = link
        if let text = options["protocol_version"] {
            guard let l = JKBLELayout(option: text) else {
                throw .invalid("protocol_version '\(text)' must be JK02_24S, JK02_32S or JK04 on a BLE bus")
            }
            forced = l
        } else {
            forced = nil
        }
    }

    /// Waits for the next answer of `kind` (other answers, e.g. settings, are skipped).
    func answer(_ kind: JKBLEFrame.Kind) throws(DriverError) -> [UInt8] {
        while true {
            let frame = try link.receive(decoder: &assembler, buffer: &buffer)
            if frame[4] == kind.rawValue { return frame }
            if frame[4] == JKBLEFrame.Kind.settings.rawValue, let s = try? JKBLESettings.decode(frame) { settings = s }
        }
    }

    func deviceInfo() throws(DriverError) -> JKBLEDeviceInfo {
        if let info { return info }
        link.flush()
        buffer.removeAll()
        try link.write(JKBLEFrame.command(JKBLEFrame.commandDeviceInfo))
        let decoded = try JKBLEDeviceInfo(try answer(.deviceInfo))
        info = decoded
        link.log(BMS_LOG_INFO, "JK \(decoded.model) hardware \(decoded.hardwareVersion) software \(decoded.softwareVersion): layout \((forced ?? decoded.layout).rawValue)\(forced != nil ? " (forced)" : "")")
        return decoded
    }

    func poll() throws(DriverError) -> DriverReading {
        let info = try deviceInfo()
        try link.write(JKBLEFrame.command(JKBLEFrame.commandCellInfo))
        let layout = forced ?? info.layout
        var r = try JKBLECellInfo.decode(try answer(.cellInfo), layout: layout)
        info.addExtras(to: &r)
        if layout != .jk04 { for (name, value) in settings { r.setExtra(name, value) } }
        r.setExtra("protocol_version", layout.rawValue)
        return r
    }
}
