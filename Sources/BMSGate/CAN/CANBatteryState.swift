/// What a CAN frame set says about a bank: taken from the bank's status, its limits (already
/// with the failsafe applied: stale or alarmed packs give 0 A) and the sink's settings.
public struct CANBatteryState: Sendable, Equatable {
    /// Charge voltage limit, V.
    public var chargeVoltage: Double
    /// Discharge voltage (the inverter's low cut-off), V; nil: not sent (0).
    public var dischargeVoltage: Double?
    /// Charge current limit, A (0 = stop).
    public var chargeCurrent: Double
    /// Discharge current limit, A (0 = stop).
    public var dischargeCurrent: Double
    /// %.
    public var soc: Double?
    /// %.
    public var soh: Double?
    /// V.
    public var voltage: Double?
    /// A, positive = charging.
    public var current: Double?
    /// The temperature the inverter sees (°C): the highest battery temperature.
    public var temperature: Double?
    public var alarms: Set<CanonicalAlarm>
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
    /// True when no pack of the bank has fresh data.
    public var stale: Bool

    /// The bank as the inverter should see it.
    public init(bank: BankStatus, packs: [PackStatus], dischargeVoltage: Double?, chargeVoltage: Double) {
        let online = packs.filter { bank.onlinePacks.contains($0.id) }
        self.chargeVoltage = bank.limits.chargeVoltage ?? chargeVoltage
        self.dischargeVoltage = dischargeVoltage
        chargeCurrent = max(0, bank.limits.chargeCurrent)
        dischargeCurrent = max(0, bank.limits.dischargeCurrent)
        soc = bank.soc
        soh = bank.soh
        voltage = bank.voltage
        current = bank.current
        temperature = bank.temperatureMax
        alarms = Set(bank.alarms)
        modules = bank.packs.count
        modulesOnline = bank.onlinePacks.count
        modulesBlockingCharge = online.filter { $0.reading?.chargeEnabled == false }.count
        modulesBlockingDischarge = online.filter { $0.reading?.dischargeEnabled == false }.count
        cellVoltageMin = bank.cellMin?.volts
        cellVoltageMax = bank.cellMax?.volts
        temperatureMin = bank.temperatureMin
        temperatureMax = bank.temperatureMax
        capacity = bank.fullCapacity
        stale = bank.onlinePacks.isEmpty
    }

    /// A state given field by field (tests, the inverter simulator).
    public init(chargeVoltage: Double, dischargeVoltage: Double?, chargeCurrent: Double, dischargeCurrent: Double,
                soc: Double? = nil, soh: Double? = nil, voltage: Double? = nil, current: Double? = nil, temperature: Double? = nil,
                alarms: Set<CanonicalAlarm> = [], modules: Int = 1, modulesOnline: Int = 1, modulesBlockingCharge: Int = 0,
                modulesBlockingDischarge: Int = 0, cellVoltageMin: Double? = nil, cellVoltageMax: Double? = nil,
                temperatureMin: Double? = nil, temperatureMax: Double? = nil, capacity: Double? = nil, stale: Bool = false) {
        self.chargeVoltage = chargeVoltage
        self.dischargeVoltage = dischargeVoltage
        self.chargeCurrent = chargeCurrent
        self.dischargeCurrent = dischargeCurrent
        self.soc = soc
        self.soh = soh
        self.voltage = voltage
        self.current = current
        self.temperature = temperature
        self.alarms = alarms
        self.modules = modules
        self.modulesOnline = modulesOnline
        self.modulesBlockingCharge = modulesBlockingCharge
        self.modulesBlockingDischarge = modulesBlockingDischarge
        self.cellVoltageMin = cellVoltageMin
        self.cellVoltageMax = cellVoltageMax
        self.temperatureMin = temperatureMin
        self.temperatureMax = temperatureMax
        self.capacity = capacity
        self.stale = stale
    }

    /// Charging is allowed (a limit above 0 A).
    public var chargeEnabled: Bool { chargeCurrent > 0 && !stale }
    /// Discharging is allowed.
    public var dischargeEnabled: Bool { dischargeCurrent > 0 && !stale }

    /// The final state sent at shutdown: both currents 0 A, nothing enabled.
    public var stopped: CANBatteryState {
        var s = self
        s.chargeCurrent = 0
        s.dischargeCurrent = 0
        return s
    }
}
