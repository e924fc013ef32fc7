import CBMSDriver
import Logging

/// Settings of an `i2c` bus: Linux i2c-dev (`/dev/i2c-N`); packs are 7-bit addresses.
public struct I2CBusSettings: BusSettings, Equatable {
    public static let type = "i2c"
    public var device: String
    /// Retries of a NACKed or busy transfer.
    public var retries = 2

    /// The bus at `device`.
    public init(device: String) { self.device = device }

    public var transport: UInt32 { BMS_TRANSPORT_I2C.rawValue }
    public func device(busID: String) -> String { device }

    public func makeTransports(_ bus: BusConfig, packs: [(PackConfig, LoadedDriver)], logger: Logger) throws(TransportError) -> [BusTransport] {
        [BusTransport(I2CDevice(path: device, retries: retries), kind: transport, packs: packs)]
    }

    static let registration = BusRegistration(I2CBusSettings.self, keys: ["device", "retries"]) { section, _, _ in
        guard let device = section.string("device", required: true) else { return nil }
        var i = I2CBusSettings(device: device)
        i.retries = section.int("retries", in: 0...10) ?? 2
        return i
    }
}
