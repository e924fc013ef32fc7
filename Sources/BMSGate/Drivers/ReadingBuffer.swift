import CBMSDriver
import Foundation

/// A host-owned `bms_reading` with its arrays and callbacks, reused across polls of one pack.
/// Not thread-safe: one per pack, used on that pack's bus thread.
final class ReadingBuffer {
    static let cellCapacity = 512
    static let temperatureCapacity = 64

    let reading = UnsafeMutablePointer<bms_reading>.allocate(capacity: 1)
    private let cells = UnsafeMutablePointer<Double>.allocate(capacity: cellCapacity)
    private let flags = UnsafeMutablePointer<UInt8>.allocate(capacity: cellCapacity)
    private let temperatures = UnsafeMutablePointer<Double>.allocate(capacity: temperatureCapacity)
    fileprivate var status: [String] = []
    fileprivate var extras: [(name: String, value: ExtraValue)] = []
    /// The extra names of the previous reading (in order), and whether this poll's
    /// names so far came in the same order: drivers report the same extras every poll, so
    /// a name is usually taken from the last poll (no new string) and known to be new in
    /// this one (no search).
    private var previousNames: [String] = []
    private var inOrder = true
    /// The extras given to the last reading: the next one shares them when the driver set
    /// the same names and values (most settings do not change from poll to poll).
    private var lastExtras = ReadingExtras.none

    deinit {
        reading.deallocate()
        cells.deallocate()
        flags.deallocate()
        temperatures.deallocate()
    }

    /// Resets to "nothing reported" before a poll or decode.
    func reset() {
        status = []
        extras.removeAll(keepingCapacity: true)
        inOrder = true
        var r = bms_reading()
        r.struct_size = UInt32(MemoryLayout<bms_reading>.size)
        (r.voltage, r.current, r.power, r.soc, r.soh) = (.nan, .nan, .nan, .nan, .nan)
        (r.remaining_capacity, r.full_capacity, r.cycles, r.mos_temperature, r.ambient_temperature) = (.nan, .nan, .nan, .nan, .nan)
        r.cells = cells
        r.cell_flags = flags
        r.cells_capacity = UInt32(Self.cellCapacity)
        r.temperatures = temperatures
        r.temperatures_capacity = UInt32(Self.temperatureCapacity)
        r.charge_enabled = -1
        r.discharge_enabled = -1
        r.host = Unmanaged.passUnretained(self).toOpaque()
        r.add_status = { host, text in
            guard let host, let text else { return }
            Unmanaged<ReadingBuffer>.fromOpaque(host).takeUnretainedValue().status.append(String(cString: text))
        }
        r.set_extra_number = { host, name, value in
            guard let host, let name else { return }
            Unmanaged<ReadingBuffer>.fromOpaque(host).takeUnretainedValue().setExtra(name, .number(value))
        }
        r.set_extra_text = { host, name, value in
            guard let host, let name else { return }
            Unmanaged<ReadingBuffer>.fromOpaque(host).takeUnretainedValue()
                .setExtra(name, .text(value.map { String(cString: $0) } ?? ""))
        }
        reading.initialize(to: r)
    }

    private func setExtra(_ cName: UnsafePointer<CChar>, _ value: ExtraValue) {
        let k = extras.count
        if inOrder, k < previousNames.count, previousNames[k].withCString({ strcmp($0, cName) == 0 }) {
            // Same name at the same place as last poll, after the same names: new in this poll.
            extras.append((previousNames[k], value))
            return
        }
        inOrder = false
        let name = String(cString: cName)
        if let i = extras.firstIndex(where: { $0.name == name }) { extras[i].value = value } else { extras.append((name, value)) }
    }

    /// The driver's error text, or "".
    var error: String {
        withUnsafeBytes(of: reading.pointee.error) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// What the driver filled in, as a host Reading.
    func makeReading(pack: String, driver: String, time: Date) -> Reading {
        let r = reading.pointee
        func value(_ v: Double) -> Double? { v.isNaN ? nil : v }
        var out = Reading(pack: pack, driver: driver, time: time)
        out.voltage = value(r.voltage)
        out.current = value(r.current)
        out.power = value(r.power)
        if out.power == nil, let v = out.voltage, let a = out.current { out.power = (v * a * 100).rounded() / 100 }
        out.soc = value(r.soc)
        out.soh = value(r.soh)
        out.remainingCapacity = value(r.remaining_capacity)
        out.fullCapacity = value(r.full_capacity)
        out.cycles = value(r.cycles)
        out.mosTemperature = value(r.mos_temperature)
        out.ambientTemperature = value(r.ambient_temperature)
        let cellCount = min(Int(r.cell_count), Self.cellCapacity)
        out.cells = (0..<cellCount).map { cells[$0] }
        out.balancing = (0..<cellCount).filter { flags[$0] & UInt8(BMS_CELL_BALANCING.rawValue) != 0 }.map { $0 + 1 }
        out.temperatures = (0..<min(Int(r.temperature_count), Self.temperatureCapacity)).map { temperatures[$0] }
        out.alarms = CanonicalAlarm.fromDriver(r.alarms)
        out.chargeEnabled = r.charge_enabled < 0 ? nil : r.charge_enabled == 1
        out.dischargeEnabled = r.discharge_enabled < 0 ? nil : r.discharge_enabled == 1
        out.status = status
        lastExtras = ReadingExtras.next(extras, after: lastExtras)
        out.sharedExtras = lastExtras
        previousNames = lastExtras.names.list
        return out
    }
}


extension PackIdentity {
    /// Reads a C identity.
    init(_ c: bms_identity) {
        func text<T>(_ tuple: T) -> String {
            withUnsafeBytes(of: tuple) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        self.init()
        model = text(c.model)
        serial = text(c.serial)
        hardware = text(c.hardware)
        firmware = text(c.firmware)
        manufacturer = text(c.manufacturer)
    }

    /// An empty C identity ready for a driver to fill.
    static func emptyC() -> bms_identity {
        var c = bms_identity()
        c.struct_size = UInt32(MemoryLayout<bms_identity>.size)
        return c
    }
}

extension CanonicalAlarm {
    /// The alarms of the driver bits in `mask` (`enum bms_alarm`), in bit order; bits a driver
    /// may not set (unknown, or the host's own) are reported as internal_fault (a safe default).
    public static func fromDriver(_ mask: UInt64) -> [CanonicalAlarm] {
        let driverBits = UInt64(BMS_ALARM_INTERNAL_FAULT.rawValue) << 1 - 1
        var out = packAlarms.filter { mask & (1 << UInt64($0.bit)) != 0 }
        if mask & ~driverBits != 0, !out.contains(.internalFault) { out.append(.internalFault) }
        return out
    }
}
