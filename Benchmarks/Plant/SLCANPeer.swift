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

/// The inverter's end of the link as the plant reads it: the battery's frames, and the
/// keepalive a Pylon inverter sends.
protocol InverterPeer: AnyObject {
    /// The frames that arrived since the last call.
    func frames() -> [CANFrame]
    /// 0x305, once a second.
    func sendKeepalive()
}

extension SLCANPeer: InverterPeer {}

/// python-can's slcan interface as the inverter (Tests/PythonTools/can_peer.py): a peer
/// that shares no code with the gateway reads the frames and sends the keepalive itself.
final class PythonCANPeer: InverterPeer, @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var pending: [CANFrame] = []

    init(python: String, script: String, path: String, seconds: Double) throws {
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, path, String(Int(seconds.rounded(.up)) + 30)]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let handle = out.fileHandleForReading
        Thread.detachNewThread { [self] in
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { return }
                buffer.append(chunk)
                while let nl = buffer.firstIndex(of: 0x0A) {
                    let line = buffer[buffer.startIndex..<nl]
                    buffer.removeSubrange(buffer.startIndex...nl)
                    guard let o = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any],
                          let id = o["id"] as? Int, let hex = o["data"] as? String else { continue }
                    var bytes: [UInt8] = []
                    var i = hex.startIndex
                    while i < hex.endIndex, let j = hex.index(i, offsetBy: 2, limitedBy: hex.endIndex), let b = UInt8(hex[i..<j], radix: 16) {
                        bytes.append(b)
                        i = j
                    }
                    let frame = CANFrame(id: UInt32(id), data: Array(bytes.prefix(8)))
                    lock.withLock { pending.append(frame) }
                }
            }
        }
    }

    func frames() -> [CANFrame] { lock.withLock { defer { pending.removeAll() }; return pending } }
    func sendKeepalive() {}

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
