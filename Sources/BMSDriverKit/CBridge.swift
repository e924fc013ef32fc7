import CBMSDriver

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Copies between Swift values and the ABI's C structs.
enum CBridge {
    /// A C string the table keeps for the life of the process (never freed: tables are immutable).
    static func keep(_ s: String?) -> UnsafePointer<CChar>? {
        guard let s else { return nil }
        return UnsafePointer(strdup(s))
    }

    /// A copy of `value` that lives for the rest of the process (descriptor tables).
    static func keep<T>(_ value: T) -> UnsafePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: 1)
        p.initialize(to: value)
        return UnsafePointer(p)
    }

    /// An array of pointers that lives for the rest of the process; nil when empty.
    static func keep<T>(array: [UnsafePointer<T>]) -> UnsafePointer<UnsafePointer<T>?>? {
        guard !array.isEmpty else { return nil }
        let p = UnsafeMutablePointer<UnsafePointer<T>?>.allocate(capacity: array.count)
        for (i, item) in array.enumerated() { (p + i).initialize(to: item) }
        return UnsafePointer(p)
    }

    /// Writes `text` NUL-terminated into a fixed-size C char array, truncating at a UTF-8 boundary.
    static func copy<T>(_ text: String, into tuple: inout T) {
        withUnsafeMutableBytes(of: &tuple) { raw in
            guard raw.count > 0 else { return }
            var bytes = Array(text.utf8.prefix(raw.count - 1))
            while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }  // no half code point
            if let last = bytes.last, last >= 0xC0 { bytes.removeLast() }
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
    }

    /// Options from a C array.
    static func options(_ ptr: UnsafePointer<bms_option>?, _ count: Int) -> DriverOptions {
        guard let ptr else { return DriverOptions() }
        return DriverOptions((0..<count).map { i in
            (ptr[i].key.map { String(cString: $0) } ?? "", ptr[i].value.map { String(cString: $0) } ?? "")
        })
    }

    /// Fills a host reading from a Swift reading. Returns BMS_ERR_BUFFER when arrays did not fit
    /// (what fits is written) and BMS_ERR_INVALID when the host struct is too small.
    static func fill(_ r: UnsafeMutablePointer<bms_reading>, from d: DriverReading) -> Int32 {
        guard Int(r.pointee.struct_size) >= MemoryLayout<bms_reading>.size else { return BMS_ERR_INVALID.rawValue }
        r.pointee.voltage = d.voltage ?? .nan
        r.pointee.current = d.current ?? .nan
        r.pointee.power = d.power ?? .nan
        r.pointee.soc = d.soc ?? .nan
        r.pointee.soh = d.soh ?? .nan
        r.pointee.remaining_capacity = d.remainingCapacity ?? .nan
        r.pointee.full_capacity = d.fullCapacity ?? .nan
        r.pointee.cycles = d.cycles ?? .nan
        r.pointee.mos_temperature = d.mosTemperature ?? .nan
        r.pointee.ambient_temperature = d.ambientTemperature ?? .nan
        var status = BMS_OK.rawValue
        let cellCount = min(d.cells.count, Int(r.pointee.cells_capacity))
        if cellCount < d.cells.count { status = BMS_ERR_BUFFER.rawValue }
        for i in 0..<cellCount {
            r.pointee.cells?[i] = d.cells[i]
            r.pointee.cell_flags?[i] = (i < d.balancing.count && d.balancing[i]) ? UInt8(BMS_CELL_BALANCING.rawValue) : 0
        }
        r.pointee.cell_count = UInt32(cellCount)
        let tempCount = min(d.temperatures.count, Int(r.pointee.temperatures_capacity))
        if tempCount < d.temperatures.count { status = BMS_ERR_BUFFER.rawValue }
        for i in 0..<tempCount { r.pointee.temperatures?[i] = d.temperatures[i] }
        r.pointee.temperature_count = UInt32(tempCount)
        r.pointee.alarms = d.alarms.rawValue
        r.pointee.charge_enabled = d.chargeEnabled.map { $0 ? 1 : 0 } ?? -1
        r.pointee.discharge_enabled = d.dischargeEnabled.map { $0 ? 1 : 0 } ?? -1
        let host = r.pointee.host
        if let add = r.pointee.add_status { for s in d.status { add(host, s) } }
        let setNumber = r.pointee.set_extra_number, setText = r.pointee.set_extra_text
        for (name, value) in d.extras {
            // withCString: no array per name (the implicit conversion copies small strings
            // into a new array each time; drivers set dozens of extras per poll).
            name.withCString { cName in
                switch value {
                case .number(let v): setNumber?(host, cName, v)
                case .text(let t): t.withCString { setText?(host, cName, $0) }
                }
            }
        }
        return status
    }

    /// Fills a host identity.
    static func fill(_ p: UnsafeMutablePointer<bms_identity>, from id: DriverIdentity) -> Int32 {
        guard Int(p.pointee.struct_size) >= MemoryLayout<bms_identity>.size else { return BMS_ERR_INVALID.rawValue }
        copy(id.model, into: &p.pointee.model)
        copy(id.serial, into: &p.pointee.serial)
        copy(id.hardware, into: &p.pointee.hardware)
        copy(id.firmware, into: &p.pointee.firmware)
        copy(id.manufacturer, into: &p.pointee.manufacturer)
        return BMS_OK.rawValue
    }

    /// Writes an error reason into the reading's error buffer (when the reading is large enough).
    static func setError(_ r: UnsafeMutablePointer<bms_reading>?, _ message: String) {
        guard let r, Int(r.pointee.struct_size) >= MemoryLayout<bms_reading>.size else { return }
        copy(message, into: &r.pointee.error)
    }

    /// Writes `text` NUL-terminated into a host buffer and its length (without the NUL) to
    /// `length`. When it does not fit: nothing is written, `length` says the size needed
    /// (with the NUL) and the result is BMS_ERR_BUFFER (the ABI's one meaning of it).
    static func write(_ text: String, to buffer: UnsafeMutablePointer<CChar>?, capacity: Int,
                      length: UnsafeMutablePointer<Int>? = nil) -> Int32 {
        let bytes = Array(text.utf8)
        guard let buffer, bytes.count < capacity else {
            length?.pointee = bytes.count + 1
            return BMS_ERR_BUFFER.rawValue
        }
        buffer.withMemoryRebound(to: UInt8.self, capacity: capacity) { p in
            for i in bytes.indices { p[i] = bytes[i] }
            p[bytes.count] = 0
        }
        length?.pointee = bytes.count
        return BMS_OK.rawValue
    }
}
