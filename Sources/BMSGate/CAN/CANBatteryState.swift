/// What a CAN frame set says about a bank: the bank's `InverterCommand` (limits, enables,
/// failsafe, alarm classes: decided by its charge controller, never here) and the bank's
/// measurements the profiles also carry.
public struct CANBatteryState: Sendable, Equatable {
    /// What the inverter is told.
    public var command: InverterCommand
    /// V.
    public var voltage: Double?
    /// A, positive = charging.
    public var current: Double?
    /// The temperature the inverter sees (°C): the highest battery temperature.
    public var temperature: Double?
    /// Packs of the bank, and how many are online (fresh data).
    public var modules: Int
    public var modulesOnline: Int
    /// Online packs that cannot charge / discharge now (charge_enabled / discharge_enabled false).
    public var modulesBlockingCharge: Int
    public var modulesBlockingDischarge: Int
    /// Lowest and highest cell voltage (V) and battery temperature (°C).
    public var cellVoltageMin: Double?
    public var cellVoltageMax: Double?
    public var temperatureMin: Double?
    public var temperatureMax: Double?
    /// Installed capacity, Ah.
    public var capacity: Double?

    /// The bank as the inverter should see it: its command and its measurements.
    public init(command: InverterCommand, bank: BankStatus, packs: [PackStatus]) {
        let online = packs.filter { bank.onlinePacks.contains($0.id) }
        self.command = command
        voltage = bank.voltage
        current = bank.current
        temperature = bank.temperatureMax
        modules = bank.packs.count
        modulesOnline = bank.onlinePacks.count
        modulesBlockingCharge = online.filter { $0.reading?.chargeEnabled == false }.count
        modulesBlockingDischarge = online.filter { $0.reading?.dischargeEnabled == false }.count
        cellVoltageMin = bank.cellMin?.volts
        cellVoltageMax = bank.cellMax?.volts
        temperatureMin = bank.temperatureMin
        temperatureMax = bank.temperatureMax
        capacity = bank.fullCapacity
    }

    /// Before any snapshot: the no-data command of a bank of `modules` packs.
    public init(noData command: InverterCommand, modules: Int) {
        self.init(chargeVoltage: command.chargeVoltage, dischargeVoltage: command.dischargeVoltage, chargeCurrent: 0, dischargeCurrent: 0,
                  modules: modules, modulesOnline: 0, stale: true)
        self.command = command
    }

    /// A state given field by field (tests, the inverter simulator): `stale` makes the
    /// command a failsafe with a system error.
    public init(chargeVoltage: Double, dischargeVoltage: Double?, chargeCurrent: Double, dischargeCurrent: Double,
                soc: Double? = nil, soh: Double? = nil, voltage: Double? = nil, current: Double? = nil, temperature: Double? = nil,
                alarms: Set<CanonicalAlarm> = [], modules: Int = 1, modulesOnline: Int = 1, modulesBlockingCharge: Int = 0,
                modulesBlockingDischarge: Int = 0, cellVoltageMin: Double? = nil, cellVoltageMax: Double? = nil,
                temperatureMin: Double? = nil, temperatureMax: Double? = nil, capacity: Double? = nil, stale: Bool = false) {
        command = InverterCommand(chargeVoltage: chargeVoltage, dischargeVoltage: dischargeVoltage ?? 0, chargeCurrent: chargeCurrent,
                                  dischargeCurrent: dischargeCurrent, soc: soc, soh: soh, phase: stale ? .stopped : .bulk, failsafe: stale,
                                  alarms: InverterAlarms(active: alarms, systemError: stale))
        self.voltage = voltage
        self.current = current
        self.temperature = temperature
        self.modules = modules
        self.modulesOnline = modulesOnline
        self.modulesBlockingCharge = modulesBlockingCharge
        self.modulesBlockingDischarge = modulesBlockingDischarge
        self.cellVoltageMin = cellVoltageMin
        self.cellVoltageMax = cellVoltageMax
        self.temperatureMin = temperatureMin
        self.temperatureMax = temperatureMax
        self.capacity = capacity
    }

    /// Charge voltage limit, V.
    public var chargeVoltage: Double {
        get { command.chargeVoltage }
        set { command.chargeVoltage = newValue }
    }
    /// The inverter's low cut-off, V; nil when unknown (sent as 0).
    public var dischargeVoltage: Double? { command.dischargeVoltage > 0 ? command.dischargeVoltage : nil }
    /// Charge current limit, A (0 = stop); a quirk may change what is sent, never the enables.
    public var chargeCurrent: Double {
        get { command.chargeCurrent }
        set { command.chargeCurrent = newValue }
    }
    /// Discharge current limit, A (0 = stop).
    public var dischargeCurrent: Double {
        get { command.dischargeCurrent }
        set { command.dischargeCurrent = newValue }
    }
    /// %.
    public var soc: Double? {
        get { command.soc }
        set { command.soc = newValue }
    }
    public var soh: Double? { command.soh }
    /// The bank's active alarms (set: classed again by the alarm table; a failsafe stays a
    /// system error).
    public var alarms: Set<CanonicalAlarm> {
        get { command.alarms.active }
        set { command.alarms = InverterAlarms(active: newValue, systemError: command.failsafe) }
    }
    /// The battery cannot vouch for its data (the alarm table's system error, or no data).
    public var systemError: Bool { command.alarms.systemError }
    /// The limits are the failsafe's.
    public var failsafe: Bool { command.failsafe }
    /// Charging is allowed.
    public var chargeEnabled: Bool { command.chargeEnabled }
    /// Discharging is allowed.
    public var dischargeEnabled: Bool { command.dischargeEnabled }

    /// The final state sent at shutdown: both currents 0 A, nothing enabled.
    public var stopped: CANBatteryState {
        var s = self
        s.command = command.stopped
        return s
    }
}
