import CBMSDriver

/// Builds the C driver table for a Swift driver. A plugin's whole export is:
///
///     @_cdecl("bms_driver_entry")
///     public func bmsDriverEntry(_ hostABIMajor: UInt32) -> UnsafeRawPointer? {
///         DriverExport.table(for: MyDriver.self, emulator: MyEmulator.self, hostABIMajor: hostABIMajor)
///     }
///
/// One driver per shared object: the table lives in this module's globals, which every
/// plugin .so has its own copy of (BMSDriverKit is linked statically into each plugin).
public enum DriverExport {
    /// The table for `driver` (and its emulator), or nil when the host speaks another ABI major.
    public static func table(for driver: any BMSDriver.Type, emulator: (any BMSEmulator.Type)? = nil,
                             hostABIMajor: UInt32) -> UnsafeRawPointer? {
        guard hostABIMajor == UInt32(BMS_ABI_MAJOR) else { return nil }
        return exported.table(driver, emulator)
    }

    private static let exported = ExportedTable()
}

/// The one table of this image, built once.
private final class ExportedTable: @unchecked Sendable {
    private let lock = PthreadLock()
    private var built: UnsafeMutablePointer<bms_driver>?

    func table(_ driver: any BMSDriver.Type, _ emulator: (any BMSEmulator.Type)?) -> UnsafeRawPointer {
        lock.withLock {
            if let built { return UnsafeRawPointer(built) }
            ExportedTypes.driver = driver
            ExportedTypes.emulator = emulator
            let d = driver.description
            let t = UnsafeMutablePointer<bms_driver>.allocate(capacity: 1)
            t.initialize(to: bms_driver())
            t.pointee.struct_size = UInt32(MemoryLayout<bms_driver>.size)
            t.pointee.abi_major = UInt32(BMS_ABI_MAJOR)
            t.pointee.abi_minor = UInt32(BMS_ABI_MINOR)
            t.pointee.id = CBridge.keep(d.id)
            t.pointee.vendor = CBridge.keep(d.vendor)
            t.pointee.version = CBridge.keep(d.version)
            t.pointee.description = CBridge.keep(d.summary)
            t.pointee.transports = d.transports
            t.pointee.default_baud = d.defaultBaud
            t.pointee.ble_service_uuid = CBridge.keep(d.bleService)
            t.pointee.ble_notify_uuid = CBridge.keep(d.bleNotify)
            t.pointee.ble_write_uuid = CBridge.keep(d.bleWrite)
            t.pointee.open = driverOpen
            t.pointee.poll = driverPoll
            t.pointee.identify = driverIdentify
            t.pointee.discover = driverDiscover
            t.pointee.command = driverCommand
            t.pointee.close = driverClose
            t.pointee.decode = driverDecode
            t.pointee.commands = CBridge.keep(array: d.commands.map { $0.exported() })
            t.pointee.command_count = d.commands.count
            t.pointee.options = CBridge.keep(array: d.options.map { $0.exported() })
            t.pointee.option_count = d.options.count
            t.pointee.ble_names = d.bleNames.isEmpty ? nil : CBridge.keep(d.bleNames.joined(separator: ","))
            t.pointee.serial_defaults = d.serialDefaults.isEmpty ? nil
                : CBridge.keep(d.serialDefaults.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
            if emulator != nil {
                let e = UnsafeMutablePointer<bms_emulator_ops>.allocate(capacity: 1)
                e.initialize(to: bms_emulator_ops(
                    struct_size: UInt32(MemoryLayout<bms_emulator_ops>.size),
                    create: emulatorCreate, exchange: emulatorExchange, control: emulatorControl,
                    destroy: emulatorDestroy))
                t.pointee.emulator = UnsafePointer(e)
            }
            built = t
            return UnsafeRawPointer(t)
        }
    }
}

/// The exported Swift types, set once before the table is handed out.
enum ExportedTypes {
    nonisolated(unsafe) static var driver: (any BMSDriver.Type)?
    nonisolated(unsafe) static var emulator: (any BMSEmulator.Type)?
}

/// A driver instance behind the opaque C handle.
private final class InstanceBox {
    let driver: any BMSDriver
    /// The last request whose answer did not fit, and that answer (BMS_ERR_BUFFER retry).
    var unsent: (request: String, answer: String, status: Int32)?
    init(_ driver: any BMSDriver) { self.driver = driver }
}

private final class EmulatorBox {
    let emulator: any BMSEmulator
    /// Answer bytes that did not fit the host's buffer (BMS_ERR_BUFFER retry).
    var unsent: [UInt8] = []
    init(_ emulator: any BMSEmulator) { self.emulator = emulator }
}

private func box(_ p: UnsafeMutableRawPointer?) -> InstanceBox? {
    p.map { Unmanaged<InstanceBox>.fromOpaque($0).takeUnretainedValue() }
}

private let driverOpen: @convention(c) (UnsafePointer<bms_link>?, UnsafePointer<bms_option>?, Int,
                                        UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 = {
    link, options, count, out in
    guard let link, let out, let type = ExportedTypes.driver else { return BMS_ERR_INVALID.rawValue }
    do throws(DriverError) {
        let driver = try type.init(link: Link(link), options: CBridge.options(options, count))
        out.pointee = Unmanaged.passRetained(InstanceBox(driver)).toOpaque()
        return BMS_OK.rawValue
    } catch {
        Link(link).log(BMS_LOG_ERROR, error.message)
        return error.status
    }
}

private let driverPoll: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<bms_reading>?) -> Int32 = {
    instance, reading in
    guard let b = box(instance), let reading else { return BMS_ERR_INVALID.rawValue }
    do throws(DriverError) {
        return CBridge.fill(reading, from: try b.driver.poll())
    } catch {
        CBridge.setError(reading, error.message)
        return error.status
    }
}

private let driverIdentify: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<bms_identity>?) -> Int32 = {
    instance, identity in
    guard let b = box(instance), let identity else { return BMS_ERR_INVALID.rawValue }
    do throws(DriverError) {
        return CBridge.fill(identity, from: try b.driver.identify())
    } catch {
        return error.status
    }
}

private let driverDiscover: @convention(c) (UnsafePointer<bms_link>?, UnsafePointer<bms_option>?, Int,
                                            bms_found_fn?, UnsafeMutableRawPointer?) -> Int32 = {
    link, options, count, found, ctx in
    guard let link, let found, let type = ExportedTypes.driver else { return BMS_ERR_INVALID.rawValue }
    do throws(DriverError) {
        try type.discover(link: Link(link), options: CBridge.options(options, count)) { address, text in
            found(ctx, address, text)
        }
        return BMS_OK.rawValue
    } catch {
        Link(link).log(BMS_LOG_WARNING, error.message)
        return error.status
    }
}

private let driverCommand: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?,
                                           UnsafeMutablePointer<CChar>?, Int, UnsafeMutablePointer<Int>?) -> Int32 = {
    instance, request, response, capacity, length in
    guard let b = box(instance), let request else { return BMS_ERR_INVALID.rawValue }
    let text = String(cString: request)
    let answer: String
    let status: Int32
    if let kept = b.unsent, kept.request == text {
        // The host's retry after BMS_ERR_BUFFER: the kept answer, never a second run.
        (answer, status) = (kept.answer, kept.status)
    } else {
        do throws(DriverError) {
            (answer, status) = (try b.driver.command(text), BMS_OK.rawValue)
        } catch {
            answer = "{\"error\":\(jsonQuoted(error.message))\(error.httpStatus.map { ",\"status\":\($0)" } ?? "")}"
            status = error.status
        }
    }
    b.unsent = nil
    guard CBridge.write(answer, to: response, capacity: capacity, length: length) == BMS_OK.rawValue else {
        b.unsent = (text, answer, status)
        return BMS_ERR_BUFFER.rawValue
    }
    return status
}

private let driverClose: @convention(c) (UnsafeMutableRawPointer?) -> Void = { instance in
    guard let instance else { return }
    let b = Unmanaged<InstanceBox>.fromOpaque(instance)
    b.takeUnretainedValue().driver.close()
    b.release()
}

private let driverDecode: @convention(c) (UnsafePointer<bms_option>?, Int,
                                          UnsafePointer<UnsafePointer<UInt8>?>?, UnsafePointer<Int>?, Int,
                                          UnsafeMutablePointer<bms_reading>?, UnsafeMutablePointer<bms_identity>?) -> Int32 = {
    options, optionCount, frames, lengths, frameCount, reading, identity in
    guard let type = ExportedTypes.driver, let reading else { return BMS_ERR_INVALID.rawValue }
    var list: [[UInt8]] = []
    for i in 0..<frameCount {
        guard let frame = frames?[i], let n = lengths?[i] else { return BMS_ERR_INVALID.rawValue }
        list.append(Array(UnsafeBufferPointer(start: frame, count: n)))
    }
    do throws(DriverError) {
        let (r, id) = try type.decode(frames: list, options: CBridge.options(options, optionCount))
        if let identity { _ = CBridge.fill(identity, from: id) }
        return CBridge.fill(reading, from: r)
    } catch {
        CBridge.setError(reading, error.message)
        return error.status
    }
}

private let emulatorCreate: @convention(c) (UnsafePointer<bms_option>?, Int,
                                            UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 = {
    options, count, out in
    guard let out, let type = ExportedTypes.emulator else { return BMS_ERR_UNSUPPORTED.rawValue }
    do throws(DriverError) {
        let e = try type.init(options: CBridge.options(options, count))
        out.pointee = Unmanaged.passRetained(EmulatorBox(e)).toOpaque()
        return BMS_OK.rawValue
    } catch {
        return error.status
    }
}

private let emulatorExchange: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<UInt8>?, Int,
                                              UnsafeMutablePointer<UInt8>?, Int, UnsafeMutablePointer<Int>?) -> Int32 = {
    emulator, input, inputLength, output, capacity, outputLength in
    guard let emulator, let outputLength else { return BMS_ERR_INVALID.rawValue }
    let b = Unmanaged<EmulatorBox>.fromOpaque(emulator).takeUnretainedValue()
    let bytes = input.map { Array(UnsafeBufferPointer(start: $0, count: inputLength)) } ?? []
    let answer = b.unsent.isEmpty ? b.emulator.exchange(bytes) : b.unsent + (bytes.isEmpty ? [] : b.emulator.exchange(bytes))
    outputLength.pointee = answer.count
    guard answer.count <= capacity else {
        b.unsent = answer
        return BMS_ERR_BUFFER.rawValue
    }
    b.unsent = []
    for i in answer.indices { output?[i] = answer[i] }
    return BMS_OK.rawValue
}

private let emulatorControl: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?,
                                             UnsafeMutablePointer<CChar>?, Int) -> Int32 = {
    emulator, command, response, capacity in
    guard let emulator, let command else { return BMS_ERR_INVALID.rawValue }
    let e = Unmanaged<EmulatorBox>.fromOpaque(emulator).takeUnretainedValue().emulator
    // A one-line answer without a length parameter: cut to fit rather than lost.
    var bytes = Array(e.control(String(cString: command)).utf8)
    if bytes.count >= capacity {
        bytes = Array(bytes.prefix(max(0, capacity - 1)))
        while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }
        if let last = bytes.last, last >= 0xC0 { bytes.removeLast() }
    }
    return CBridge.write(String(decoding: bytes, as: UTF8.self), to: response, capacity: capacity)
}

private let emulatorDestroy: @convention(c) (UnsafeMutableRawPointer?) -> Void = { emulator in
    guard let emulator else { return }
    Unmanaged<EmulatorBox>.fromOpaque(emulator).release()
}

/// A JSON string literal for `text`.
public func jsonQuoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
