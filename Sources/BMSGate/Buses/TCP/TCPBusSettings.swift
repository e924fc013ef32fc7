import CBMSDriver
import Logging

/// Settings of a `tcp` bus: a TCP connection to a serial bridge (ser2net, EW11...).
public struct TCPBusSettings: BusSettings, Equatable {
    public static let type = "tcp"
    public var host: String
    public var port: Int
    public var connectTimeout: Duration = .seconds(3)

    /// A bridge at host:port.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var transport: UInt32 { BMS_TRANSPORT_TCP.rawValue }
    public func device(busID: String) -> String { "\(host):\(port)" }

    public func makeTransports(_ bus: BusConfig, packs: [(PackConfig, LoadedDriver)], logger: Logger) throws(TransportError) -> [BusTransport] {
        [BusTransport(TCPConnection(host: host, port: port, connectTimeout: connectTimeout), kind: transport, packs: packs)]
    }

    static let registration = BusRegistration(TCPBusSettings.self, keys: ["host", "port", "connect_timeout"]) { section, id, d in
        guard let host = section.string("host", required: true) else { return nil }
        guard let port = section.int("port", in: 1...65535) else {
            if section.value("port") == nil { d.report(section.node, "bus '\(id)' is missing 'port'") }
            return nil
        }
        var t = TCPBusSettings(host: host, port: port)
        t.connectTimeout = section.duration("connect_timeout", minimum: .milliseconds(10)) ?? t.connectTimeout
        return t
    }
}
