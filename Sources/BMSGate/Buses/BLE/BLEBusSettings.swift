import CBMSDriver
import Logging

/// Settings of a `ble` bus: a local Bluetooth adapter; each pack is one device (its
/// `address`), with a connection and a thread of its own.
public struct BLEBusSettings: BusSettings, Equatable {
    public static let type = "ble"
    /// The local adapter.
    public var adapter = "hci0"
    /// LE random addresses instead of public ones.
    public var randomAddress = false
    /// Time to connect.
    public var connectTimeout: Duration = .seconds(10)
    /// Time for each ATT request during discovery.
    public var requestTimeout: Duration = .seconds(5)

    /// hci0, public addresses, 10 s connect, 5 s requests.
    public init() {}

    public var transport: UInt32 { BMS_TRANSPORT_BLE.rawValue }
    public func device(busID: String) -> String { adapter }

    public func makeTransports(_ bus: BusConfig, packs: [(PackConfig, LoadedDriver)], logger: Logger) throws(TransportError) -> [BusTransport] {
        let settings = self
        return try packs.map { pack, driver throws(TransportError) in
            guard let uuids = driver.bleUUIDs else { throw TransportError("driver '\(driver.id)' does not support BLE") }
            let connectMs = Int(connectTimeout.milliseconds)
            let t = BLETransport(address: pack.address, endpoint: "ble \(pack.address) (bus \(bus.id), pack \(pack.id))",
                                 service: uuids.service, write: uuids.write, notify: uuids.notify,
                                 requestTimeoutMs: Int(requestTimeout.milliseconds), logger: logger) { () throws(TransportError) -> Int32 in
                try L2CAPConnector.connect(adapter: settings.adapter, address: pack.address, randomAddress: settings.randomAddress,
                                           timeoutMs: connectMs)
            }
            return BusTransport(t, kind: transport, packs: [(pack, driver)])
        }
    }

    static let registration = BusRegistration(
        BLEBusSettings.self, keys: ["adapter", "address_type", "connect_timeout", "request_timeout"]
    ) { section, id, d in
        var b = BLEBusSettings()
        b.adapter = section.string("adapter") ?? b.adapter
        if let v = section.value("address_type") {
            switch v.string {
            case "public": b.randomAddress = false
            case "random": b.randomAddress = true
            default: d.report(v, "'address_type' of bus '\(id)' must be public or random")
            }
        }
        b.connectTimeout = section.duration("connect_timeout", minimum: .milliseconds(100)) ?? b.connectTimeout
        b.requestTimeout = section.duration("request_timeout", minimum: .milliseconds(100)) ?? b.requestTimeout
        return b
    }
}
