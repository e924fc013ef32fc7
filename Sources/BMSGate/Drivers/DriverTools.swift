import CBMSDriver
import Foundation
import Logging

/// Offline and one-shot uses of a driver: decoding captured frames and scanning a bus.
public enum DriverTools {
    /// Decodes captured frames, in order, with the driver's `decode` operation.
    public static func decode(driver: LoadedDriver, frames: [[UInt8]], options: [(String, String)],
                              time: Date = Date()) -> Result<Reading, PollFailure> {
        guard driver.canDecode, let decode = driver.table.pointee.decode else {
            return .failure(PollFailure(.unsupported, "driver '\(driver.id)' cannot decode frames"))
        }
        let buffer = ReadingBuffer()
        buffer.reset()
        var identity = PackIdentity.emptyC()
        let pointers = frames.map { frame -> UnsafeMutablePointer<UInt8> in
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: max(frame.count, 1))
            p.initialize(from: frame, count: frame.count)
            return p
        }
        defer { pointers.forEach { $0.deallocate() } }
        let lengths = frames.map(\.count)
        let constPointers: [UnsafePointer<UInt8>?] = pointers.map { UnsafePointer($0) }
        let rc = COptions.with(options) { list, count in
            constPointers.withUnsafeBufferPointer { framePointers in
                lengths.withUnsafeBufferPointer { lengthPointer in
                    decode(list, count, framePointers.baseAddress, lengthPointer.baseAddress, frames.count, buffer.reading, &identity)
                }
            }
        }
        guard rc == BMS_OK.rawValue || rc == BMS_ERR_BUFFER.rawValue else {
            return .failure(PollFailure(status: rc, message: buffer.error.isEmpty ? "decode failed (status \(rc))" : buffer.error))
        }
        var reading = buffer.makeReading(pack: "decode", driver: driver.id, time: time)
        reading.identity = PackIdentity(identity)
        return .success(reading)
    }

    /// One device found by a scan.
    public struct Found: Sendable {
        public var address: String
        public var description: String
    }

    /// Scans a bus with the driver's `discover` operation.
    public static func scan(driver: LoadedDriver, transport: ByteTransport, transportKind: UInt32,
                            timeout: Duration, options: [(String, String)], logger: Logger) -> Result<[Found], PollFailure> {
        guard let discover = driver.table.pointee.discover else {
            return .failure(PollFailure(.unsupported, "driver '\(driver.id)' cannot scan"))
        }
        do {
            try transport.open()
        } catch {
            return .failure(PollFailure(.io, error.message))
        }
        defer { transport.close() }
        let link = HostLink(transport: transport, transportKind: transportKind, address: "",
                            timeoutMs: UInt32(max(1, timeout.milliseconds)), logger: logger)
        final class Collector { var found: [Found] = [] }
        let collector = Collector()
        let rc = COptions.with(options) { list, count in
            discover(link.link, list, count, { ctx, address, text in
                let c = Unmanaged<Collector>.fromOpaque(ctx!).takeUnretainedValue()
                c.found.append(Found(address: address.map { String(cString: $0) } ?? "",
                                     description: text.map { String(cString: $0) } ?? ""))
            }, Unmanaged.passUnretained(collector).toOpaque())
        }
        guard rc == BMS_OK.rawValue else {
            return .failure(PollFailure(status: rc, message: link.transportFailure ?? "scan failed (status \(rc))"))
        }
        return .success(collector.found)
    }
}
