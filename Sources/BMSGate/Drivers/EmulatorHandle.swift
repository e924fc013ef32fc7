import CBMSDriver
import Foundation

/// A driver's device emulator instance (see `bms_emulator_ops`). Used from one thread at a time.
public final class EmulatorHandle: @unchecked Sendable {
    /// The driver it belongs to.
    public let driver: LoadedDriver
    private let ops: UnsafePointer<bms_emulator_ops>
    private let instance: UnsafeMutableRawPointer
    private var output = [UInt8](repeating: 0, count: 8192)

    /// Creates an emulator serving `addresses` (plus driver-specific options).
    public init(driver: LoadedDriver, addresses: [String], options: [(String, String)] = []) throws(TransportError) {
        guard driver.hasEmulator, let ops = driver.table.pointee.emulator else {
            throw TransportError("driver '\(driver.id)' has no emulator, so it cannot run on a sim bus")
        }
        self.driver = driver
        self.ops = ops
        let all = [("addresses", addresses.joined(separator: ","))] + options
        var instance: UnsafeMutableRawPointer?
        let rc = COptions.with(all) { list, count in ops.pointee.create(list, count, &instance) }
        guard rc == BMS_OK.rawValue, let instance else {
            throw TransportError("the '\(driver.id)' emulator refused addresses \(addresses.joined(separator: ",")) (status \(rc))")
        }
        self.instance = instance
    }

    deinit { ops.pointee.destroy(instance) }

    /// Feeds received bytes; returns what the emulated devices send back.
    public func exchange(_ input: [UInt8]) -> [UInt8] {
        var n = 0
        var rc = input.withUnsafeBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                ops.pointee.exchange(instance, inp.baseAddress, inp.count, out.baseAddress, out.count, &n)
            }
        }
        if rc == BMS_ERR_BUFFER.rawValue && n > output.count {
            // `n` is the size needed; the emulator kept its answer for a retry without input.
            output = [UInt8](repeating: 0, count: n)
            rc = output.withUnsafeMutableBufferPointer { ops.pointee.exchange(instance, nil, 0, $0.baseAddress, $0.count, &n) }
        }
        guard rc != BMS_ERR_BUFFER.rawValue else { return [] }
        return Array(output.prefix(min(n, output.count)))
    }

    /// Applies a one-line control command.
    public func control(_ command: String) -> String {
        guard let control = ops.pointee.control else { return "error: the '\(driver.id)' emulator takes no commands" }
        var response = [CChar](repeating: 0, count: 4096)
        _ = response.withUnsafeMutableBufferPointer { control(instance, command, $0.baseAddress, $0.count) }
        return String(decoding: response.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Builds C option arrays whose strings live for the duration of a call.
enum COptions {
    static func with<R>(_ pairs: [(String, String)], _ body: (UnsafePointer<bms_option>?, Int) -> R) -> R {
        var storage: [UnsafeMutablePointer<CChar>] = []
        defer { storage.forEach { free($0) } }
        var list: [bms_option] = []
        for (k, v) in pairs {
            let ck = strdup(k)!, cv = strdup(v)!
            storage += [ck, cv]
            list.append(bms_option(key: ck, value: cv))
        }
        return list.withUnsafeBufferPointer { body($0.baseAddress, $0.count) }
    }
}
