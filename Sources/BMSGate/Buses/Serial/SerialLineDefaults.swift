import Foundation

/// The serial settings a driver asks for beyond its baud rate (ABI 1.2 `serial_defaults`),
/// applied to a serial or simulated bus where the site file leaves them unset.
public struct SerialLineDefaults: Sendable, Equatable {
    /// "none", "even" or "odd".
    public var parity: String?
    public var dataBits: Int?
    public var stopBits: Int?
    /// Raise (true) or drop (false) DTR after opening the port.
    public var dtr: Bool?
    /// The default per-pack transaction timeout.
    public var timeoutMs: Int?

    /// No defaults.
    public init() {}

    /// Parses `parity=none,data_bits=8,stop_bits=1,dtr=on,timeout_ms=900`; unknown keys and
    /// values outside their range are ignored (a driver cannot break a bus).
    public init(text: String) {
        for item in text.split(separator: ",") {
            let kv = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard kv.count == 2 else { continue }
            switch kv[0] {
            case "parity": if ["none", "even", "odd"].contains(kv[1]) { parity = kv[1] }
            case "data_bits": if let n = Int(kv[1]), (5...8).contains(n) { dataBits = n }
            case "stop_bits": if let n = Int(kv[1]), (1...2).contains(n) { stopBits = n }
            case "dtr": dtr = ["on", "true", "1"].contains(kv[1]) ? true : (["off", "false", "0"].contains(kv[1]) ? false : nil)
            case "timeout_ms": if let n = Int(kv[1]), (10...60_000).contains(n) { timeoutMs = n }
            default: continue
            }
        }
    }
}
