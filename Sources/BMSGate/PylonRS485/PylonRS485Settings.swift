/// Settings of the `pylon-rs485` sink: one bank answering an inverter as a Pylontech battery
/// over RS485 (the inverter is the master).
public struct PylonRS485Settings: Sendable, Equatable {
    /// Where the inverter talks.
    public enum Link: Sendable, Equatable {
        /// A serial port or pty at `baud`.
        case device(String, baud: Int)
        /// A TCP port (an RS485-to-Ethernet bridge connects here).
        case listen(host: String, port: Int)
        /// A simulated inverter polling on a pseudo-terminal, in this process (the demo site).
        case simulated
    }

    /// How the bank's packs appear to the inverter.
    public enum Modules: String, Sendable {
        /// Each pack is one module: the first at address 2 (the master), then 3, 4, ...
        case packs
        /// The whole bank is one module at address 2.
        case bank
    }

    public var bank: String
    public var link: Link
    public var modules: Modules = .bank
    /// The inverter's low cut-off, V: given here it is the whole bank's (every link says the
    /// same; `limits: {discharge_voltage}` on the bank is the place for it); nil and nowhere
    /// else: 2.9 V per cell in series.
    public var dischargeVoltage: Double?
    /// Charge voltage when no limit rule gives one, V: the whole bank's, like `dischargeVoltage`.
    public var chargeVoltage: Double?
    /// 0x51's device and manufacturer names.
    public var deviceName = "bmsgate"
    public var manufacturer = "bmsgate"

    public init(bank: String, link: Link) {
        self.bank = bank
        self.link = link
    }
}
