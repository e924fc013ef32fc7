/// One numeric field of the Reading JSON or the bank JSON: what every output calls it and
/// how it is measured. JSON, Prometheus, Home Assistant discovery and the docs all read
/// this catalog, so a field has one name, one unit and one help text everywhere.
public struct Field: Sendable {
    /// Units, with their Prometheus suffix and Home Assistant device class.
    public enum Unit: String, Sendable {
        case volts = "V", amperes = "A", watts = "W", percent = "%", ampereHours = "Ah", celsius = "°C"

        /// The Prometheus metric name suffix.
        public var metricSuffix: String {
            switch self {
            case .volts: "volts"
            case .amperes: "amperes"
            case .watts: "watts"
            case .percent: "percent"
            case .ampereHours: "ampere_hours"
            case .celsius: "celsius"
            }
        }

        /// The Home Assistant device class, where one fits.
        public var deviceClass: String? {
            switch self {
            case .volts: "voltage"
            case .amperes: "current"
            case .watts: "power"
            case .celsius: "temperature"
            case .percent, .ampereHours: nil
            }
        }
    }

    /// Gauges go up and down; counters only grow (Prometheus `_total`, HA total_increasing).
    public enum Kind: Sendable { case gauge, counter }

    /// The JSON key.
    public let name: String
    /// A short title (the Home Assistant entity name).
    public let title: String
    /// One line of help, with the unit (Prometheus HELP, docs).
    public let help: String
    public let unit: Unit?
    public let kind: Kind
    /// The metric name without the `bmsgate_` namespace, e.g. `cell_average_volts`.
    public let metric: String
    /// The Home Assistant device class (`battery` for SoC, else the unit's).
    public let deviceClass: String?

    init(_ name: String, _ title: String, _ help: String, _ unit: Unit?, kind: Kind = .gauge, metricBase: String? = nil,
         deviceClass: String? = nil) {
        self.name = name
        self.title = title
        self.help = help
        self.unit = unit
        self.kind = kind
        let base = metricBase ?? name
        metric = kind == .counter ? base + "_total" : base + (unit.map { "_" + $0.metricSuffix } ?? "")
        self.deviceClass = deviceClass ?? unit?.deviceClass
    }
}

/// The catalog: every numeric field of a pack's Reading and of a bank, in JSON order.
public enum FieldCatalog {
    /// The Reading JSON's measurements, in JSON order, with how to read each from a Reading.
    public static let packMeasurements: [(field: Field, value: @Sendable (Reading) -> Double?)] = [
        (Field("voltage", "Voltage", "Pack voltage, V", .volts), { $0.voltage }),
        (Field("current", "Current", "Pack current, A (positive = charging)", .amperes), { $0.current }),
        (Field("power", "Power", "Pack power, W", .watts), { $0.power }),
        (Field("soc", "State of charge", "State of charge, %", .percent, deviceClass: "battery"), { $0.soc }),
        (Field("soh", "State of health", "State of health, %", .percent), { $0.soh }),
        (Field("remaining_capacity", "Remaining capacity", "Remaining capacity, Ah", .ampereHours), { $0.remainingCapacity }),
        (Field("full_capacity", "Full capacity", "Full capacity, Ah", .ampereHours), { $0.fullCapacity }),
        (Field("cycles", "Cycles", "Charge cycles", nil, kind: .counter), { $0.cycles }),
    ]

    /// The Reading JSON's cell statistics (present when the reading has cells), in JSON order.
    public static let cellStatistics: [(field: Field, value: @Sendable (Reading) -> Double?)] = [
        (Field("cell_min", "Lowest cell voltage", "Lowest cell voltage, V", .volts), { $0.cellMin }),
        (Field("cell_max", "Highest cell voltage", "Highest cell voltage, V", .volts), { $0.cellMax }),
        (Field("cell_avg", "Average cell voltage", "Average cell voltage, V", .volts, metricBase: "cell_average"), { $0.cellAvg }),
        (Field("cell_delta", "Cell voltage spread", "Highest minus lowest cell voltage, V", .volts), { $0.cellDelta }),
    ]

    /// The Reading JSON's single temperatures (after the `temperatures` array), in JSON order.
    public static let packTemperatures: [(field: Field, value: @Sendable (Reading) -> Double?)] = [
        (Field("mos_temperature", "MOSFET temperature", "MOSFET temperature, °C", .celsius), { $0.mosTemperature }),
        (Field("ambient_temperature", "Ambient temperature", "Ambient temperature, °C", .celsius), { $0.ambientTemperature }),
    ]

    /// Every scalar field of the Reading JSON, in JSON order. The JSON writer
    /// (`Reading.emitMembers`), Prometheus and Home Assistant read these.
    public static let pack = packMeasurements + cellStatistics + packTemperatures

    /// Per-element fields of the Reading JSON's arrays.
    public static let cell = Field("cells", "Cell voltage", "Cell voltages, V", .volts, metricBase: "cell_voltage")
    public static let temperature = Field("temperatures", "Temperature", "Cell/pack probe temperatures, °C", .celsius, metricBase: "temperature")

    /// The bank JSON's measurements, in JSON order, with how to read each from a BankStatus.
    public static let bankMeasurements: [(field: Field, value: @Sendable (BankStatus) -> Double?)] = [
        (Field("voltage", "Voltage", "Bank voltage (mean of online packs), V", .volts, metricBase: "bank_voltage"), { $0.voltage }),
        (Field("voltage_min", "Lowest pack voltage", "Lowest pack voltage of the bank, V", .volts, metricBase: "bank_voltage_min"), { $0.voltageMin }),
        (Field("voltage_max", "Highest pack voltage", "Highest pack voltage of the bank, V", .volts, metricBase: "bank_voltage_max"), { $0.voltageMax }),
        (Field("current", "Current", "Bank current (sum), A", .amperes, metricBase: "bank_current"), { $0.current }),
        (Field("power", "Power", "Bank power, W", .watts, metricBase: "bank_power"), { $0.power }),
        (Field("soc", "State of charge", "Bank state of charge, %", .percent, metricBase: "bank_soc", deviceClass: "battery"), { $0.soc }),
        (Field("soh", "State of health", "Lowest state of health of the bank, %", .percent, metricBase: "bank_soh"), { $0.soh }),
        (Field("remaining_capacity", "Remaining capacity", "Bank remaining capacity, Ah", .ampereHours, metricBase: "bank_remaining_capacity"),
         { $0.remainingCapacity }),
        (Field("full_capacity", "Full capacity", "Bank full capacity, Ah", .ampereHours, metricBase: "bank_full_capacity"), { $0.fullCapacity }),
    ]

    /// The bank JSON's cycle count and cell statistics (each extreme with its pack beside it
    /// in the JSON as `cell_min_pack`, `cell_max_pack`), in JSON order.
    public static let bankCells: [(field: Field, value: @Sendable (BankStatus) -> Double?)] = [
        (Field("cycles", "Cycles", "Charge cycles of the bank (its most cycled pack)", nil, kind: .counter, metricBase: "bank_cycles"), { $0.cycles }),
        (Field("cell_avg", "Average cell voltage", "Average cell voltage of the bank, V", .volts, metricBase: "bank_cell_average"), { $0.cellAvg }),
        (Field("cell_min", "Lowest cell voltage", "Lowest cell voltage of the bank, V", .volts, metricBase: "bank_cell_min"), { $0.cellMin?.volts }),
        (Field("cell_max", "Highest cell voltage", "Highest cell voltage of the bank, V", .volts, metricBase: "bank_cell_max"), { $0.cellMax?.volts }),
    ]

    /// The bank JSON's temperatures (after the cell statistics), in JSON order.
    public static let bankTemperatures: [(field: Field, value: @Sendable (BankStatus) -> Double?)] = [
        (Field("temperature_min", "Lowest temperature", "Coldest probe of the bank, °C", .celsius, metricBase: "bank_temperature_min"),
         { $0.temperatureMin }),
        (Field("temperature_max", "Highest temperature", "Hottest probe of the bank, °C", .celsius, metricBase: "bank_temperature_max"),
         { $0.temperatureMax }),
    ]

    /// Every catalogued scalar field of the bank JSON, in JSON order (`BankStatus.json`,
    /// Prometheus and Home Assistant read these).
    public static let bank = bankMeasurements + bankCells + bankTemperatures

    /// Members of the bank JSON's `limits`.
    public static let limits: [(field: Field, value: @Sendable (ChargeLimits) -> Double?)] = [
        (Field("charge_voltage", "Charge voltage limit", "Charge voltage limit, V", .volts, metricBase: "bank_charge_voltage_limit"),
         { $0.chargeVoltage }),
        (Field("charge_current", "Charge current limit", "Charge current the bank allows now, A", .amperes,
               metricBase: "bank_charge_current_limit"), { $0.chargeCurrent }),
        (Field("discharge_current", "Discharge current limit", "Discharge current the bank allows now, A", .amperes,
               metricBase: "bank_discharge_current_limit"), { $0.dischargeCurrent }),
    ]

    /// The field named `name` of a pack or bank JSON, if the catalog knows it.
    public static func field(_ name: String) -> Field? {
        pack.first { $0.field.name == name }?.field ?? bank.first { $0.field.name == name }?.field
    }
}
