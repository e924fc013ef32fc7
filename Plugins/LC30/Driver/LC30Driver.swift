import BMSDriverKit
import CBMSDriver
import Foundation

/// The LC30 plugin: a bq78350-class gas gauge over I2C/SMBus (address 0x0B by default).
/// Each poll reads the SBS monitoring registers, the cells and the status blocks; the
/// advanced configuration (gains, offsets, SoC from the cell voltages) applies to what is
/// published when advanced mode is on. Vendor operations (the LC30 HTTP API) go through
/// `command` (LC30Commands).
///
/// Options: `pec` (true/false, default false), `state_file` (default data/lc30-<address>.json).
public final class LC30Driver: BMSDriver {
    public static let description = DriverDescription(
        id: "lc30", vendor: "LC30 (TI bq78350)", version: "1.0.0",
        summary: "LC30 battery with a bq78350 gauge over I2C/SMBus: SBS monitoring, cells, status flags, Data Flash, MAC, security",
        transports: UInt32(BMS_TRANSPORT_I2C.rawValue), commands: LC30API.commands, options: LC30API.options)

    let link: Link
    let bus: SMBus
    let allowWrites: Bool
    let statePath: String
    var state: LC30State
    /// The last raw monitoring values (for calibration), nil before the first good read.
    var lastRaw: (voltage: Double, current: Double)?

    public init(link: Link, options: DriverOptions) throws(DriverError) {
        try options.rejectUnknown(["pec", "state_file"])
        let text = link.address.isEmpty ? "0x0B" : link.address
        guard let a = DriverOptions.parseInteger(text), (0x08...0x77).contains(a) else {
            throw .invalid("address '\(text)' is not a 7-bit I2C address (0x08...0x77)")
        }
        self.link = link
        bus = SMBus(link: link, address: UInt16(a), pec: options["pec"] == "true")
        allowWrites = options.allowWrites
        statePath = options["state_file"] ?? "data/lc30-0x\(String(a, radix: 16)).json"
        state = LC30State.load(statePath)
    }

    /// Raw monitoring values as the gauge reports them.
    struct Monitor {
        var voltage: Double, current: Double, temperature: Double, soc: Double, remaining: Double, full: Double
        var cycles: Double, soh: Double, batteryStatus: Int, cells: [Double]
        var safety: UInt32, pf: UInt32, operation: UInt32
    }

    func readMonitor() throws(DriverError) -> Monitor {
        let cellCount = state.cellCount
        var cells: [Double] = []
        for i in 0..<cellCount { cells.append(Double(try bus.word(0x3F - UInt8(i))) / 1000) }
        return Monitor(voltage: Double(try bus.word(0x09)) / 1000, current: Double(try bus.signedWord(0x0A)) / 1000,
                       temperature: ((Double(try bus.word(0x08)) - 2731.5) / 10 * 10).rounded() / 10,
                       soc: Double(try bus.word(0x0D)), remaining: Double(try bus.word(0x0F)), full: Double(try bus.word(0x10)),
                       cycles: Double(try bus.word(0x17)), soh: Double(try bus.word(0x4F)), batteryStatus: try bus.word(0x16),
                       cells: cells, safety: try bus.status(0x51), pf: try bus.status(0x53), operation: try bus.status(0x54))
    }

    /// Published voltage/current/SoC after the advanced configuration.
    func corrected(_ m: Monitor) -> (voltage: Double, current: Double, soc: Double) {
        guard state.advancedMode else { return (m.voltage, m.current, m.soc) }
        let v = ((m.voltage * state.voltageGain + state.voltageOffset) * 1000).rounded() / 1000
        let i = ((m.current * state.currentGain + state.currentOffset) * 1000).rounded() / 1000
        var soc = m.soc
        if state.socSource == "voltage_estimated", !m.cells.isEmpty, state.fullCellVoltage > state.emptyCellVoltage {
            let avg = m.cells.reduce(0, +) / Double(m.cells.count)
            soc = (max(0, min(1, (avg - state.emptyCellVoltage) / (state.fullCellVoltage - state.emptyCellVoltage))) * 1000).rounded() / 10
        }
        return (v, i, soc)
    }

    /// Canonical alarms from SafetyStatus, PFStatus and BatteryStatus.
    static func alarms(_ m: Monitor) -> (Alarms, [String]) {
        var a: Alarms = []
        let map: [(String, Alarms)] = [
            ("CUV", .cellUndervoltage), ("COV", .cellOvervoltage), ("OCC1", .chargeOvercurrent), ("OCC2", .chargeOvercurrent),
            ("OCD1", .dischargeOvercurrent), ("OCD2", .dischargeOvercurrent), ("AOLD", .dischargeOvercurrent), ("ASCC", .shortCircuit),
            ("ASCD", .shortCircuit), ("OTC", .chargeOvertemperature), ("OTD", .dischargeOvertemperature), ("OTF", .mosOvertemperature),
            ("OC", .packOvervoltage), ("UTC", .chargeUndertemperature), ("UTD", .dischargeUndertemperature),
        ]
        let flags = BQ78350.setFlags("safety_status", m.safety)
        var texts = flags.filter(\.value).map(\.key).sorted()
        for (name, alarm) in map where flags[name] == true { a.insert(alarm) }
        if m.pf != 0 {
            a.insert(.internalFault)
            texts += BQ78350.setFlags("pf_status", m.pf).filter(\.value).map { "PF " + $0.key }.sorted()
        }
        if m.batteryStatus & 0x0200 != 0 { a.insert(.lowSoc) }
        if m.batteryStatus & 0x1000 != 0 { a.formUnion([.chargeOvertemperature, .dischargeOvertemperature]) }
        return (a, texts)
    }

    public func poll() throws(DriverError) -> DriverReading {
        let m = try readMonitor()
        lastRaw = (m.voltage, m.current)
        let c = corrected(m)
        var r = DriverReading()
        r.voltage = c.voltage
        r.current = c.current
        r.power = (c.voltage * c.current * 100).rounded() / 100
        r.soc = c.soc
        r.soh = m.soh
        r.remainingCapacity = m.remaining / 1000
        r.fullCapacity = m.full / 1000
        r.cycles = m.cycles
        r.cells = m.cells
        r.temperatures = [m.temperature]
        (r.alarms, r.status) = Self.alarms(m)
        r.chargeEnabled = m.operation & 4 != 0
        r.dischargeEnabled = m.operation & 2 != 0
        r.setExtra("security", BQ78350.security(operationStatus: m.operation))
        r.setExtra("battery_status", Double(m.batteryStatus))
        r.setExtra("fully_charged", m.batteryStatus & 0x20 != 0 ? 1 : 0)
        r.setExtra("advanced_mode", state.advancedMode ? 1 : 0)
        return r
    }

    public func identify() throws(DriverError) -> DriverIdentity {
        var id = DriverIdentity()
        id.manufacturer = String(decoding: try bus.block(0x20), as: UTF8.self)
        id.model = String(decoding: try bus.block(0x21), as: UTF8.self)
        id.serial = String(try bus.word(0x1C))
        return id
    }

    public func command(_ requestJSON: String) throws(DriverError) -> String {
        try LC30Commands(driver: self).run(requestJSON)
    }

    public static func discover(link: Link, options: DriverOptions, found: (String, String) -> Void) throws(DriverError) {
        for a in UInt16(0x08)...UInt16(0x77) {
            let bus = SMBus(link: link, address: a, pec: false)
            if let v = try? bus.word(0x09) { found("0x" + String(a, radix: 16), "SBS device, Voltage \(v) mV") }
        }
    }

    public static func decode(frames: [[UInt8]], options: DriverOptions) throws(DriverError) -> (DriverReading, DriverIdentity) {
        throw .unsupported("lc30 talks in SMBus transactions, not frames: use `bmsgate read` on an i2c bus")
    }
}
