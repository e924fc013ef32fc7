import BMSGate
import Foundation

/// The inverter's end of the SLCAN link: reads the battery's frames (the project's own SLCAN
/// parser, tested against python-can) and sends the Pylon keepalive.
final class SLCANPeer {
    let port: SerialPort
    private var splitter = SLCAN.LineSplitter()

    init(path: String) throws {
        port = SerialPort(settings: SerialSettings(device: path, baud: 115_200), defaultBaud: 115_200)
        port.writeTimeoutMs = 200
        try port.open()
    }

    /// The frames that arrived since the last call.
    func frames() -> [CANFrame] {
        var out: [CANFrame] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { raw -> Int in (try? port.read(into: raw, timeoutMs: 0)) ?? 0 }
            guard n > 0 else { return out }
            for event in splitter.feed(buffer[0..<n]) {
                if case .line(.frame(let f)) = event { out.append(f) }
            }
        }
    }

    /// 0x305, as Pylon inverters send it once a second.
    func sendKeepalive() {
        let line = Array((SLCAN.encode(CANFrame(id: 0x305, data: Array(repeating: 0, count: 8))) + "\r").utf8)
        line.withUnsafeBytes { try? port.write($0) }
    }
}
