/// Settings of the `can` sink: one bank as a battery on a CAN bus, for an inverter.
public struct CANSinkSettings: Sendable, Equatable {
    /// Where the frames go.
    public enum Link: Sendable, Equatable {
        /// A SocketCAN interface ("can0").
        case interface(String)
        /// A serial SLCAN adapter ("/dev/ttyACM0") at `baud` (USB adapters ignore it).
        case device(String, baud: Int)
        /// A simulated inverter behind a pseudo-terminal, in this process (the demo site).
        case simulated
    }

    /// The bank spoken for.
    public var bank: String
    public var profile: CANProfile = .pylon
    public var link: Link
    /// CAN bit rate (SLCAN `S` command); SocketCAN interfaces keep the system's setting.
    public var bitrate = 500_000
    /// One frame set per period.
    public var period: Duration = .seconds(1)
    /// The inverter's low cut-off, V: given here it is the whole bank's (every link says the
    /// same; `limits: {discharge_voltage}` on the bank is the place for it). Required by sma
    /// and victron, from the bank or here.
    public var dischargeVoltage: Double?
    /// Charge voltage when no limit rule gives one, V: the whole bank's, like `dischargeVoltage`.
    public var chargeVoltage: Double?
    public var quirks: [CANQuirk] = []
    /// 0x35E (8 ASCII characters); the profile's default when nil.
    public var manufacturer: String?
    /// Victron 0x370/0x371 (16 ASCII characters).
    public var name = "bmsgate"
    /// Warn when the inverter sends nothing for this long.
    public var inverterTimeout: Duration = .seconds(10)

    /// A sink for `bank` on `link`.
    public init(bank: String, link: Link, dischargeVoltage: Double? = nil) {
        self.bank = bank
        self.link = link
        self.dischargeVoltage = dischargeVoltage
    }
}
