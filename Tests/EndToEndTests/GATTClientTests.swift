import BMSGate
import Foundation
import Logging
import Testing

/// The host's GATT client against an emulated peripheral on a SOCK_SEQPACKET socketpair
/// (ATT exactly as the kernel's L2CAP channel carries it), with the JK plugin's emulator
/// behind it: discovery of both module layouts, MTU, notifications, a drop mid-answer and
/// the reconnect.
@Suite struct GATTClientTests {
    let logger = Logger(label: "test")

    func jk() throws -> LoadedDriver {
        try #require(DriverLoader.load(directories: [TestTools.binDir]).driver("jk-bms"), "jk-bms plugin not built")
    }

    func peripheral(_ layout: GATTPeripheralEmulator.Layout, mtu: Int = 247, options: [(String, String)] = []) throws -> (GATTPeripheralEmulator, LoadedDriver) {
        let driver = try jk()
        let uuids = try #require(driver.bleUUIDs)
        let emulator = try EmulatorHandle(driver: driver, addresses: ["C8:47:8C:00:00:01"], options: options)
        return (GATTPeripheralEmulator(service: uuids.service, write: uuids.write, notify: uuids.notify, layout: layout,
                                       emulator: emulator, serverMTU: mtu, logger: logger), driver)
    }

    /// Reads notification bytes until a whole 300-byte JK answer of `type` is in.
    func answer(_ t: BLETransport, type: UInt8) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            let n = try buffer.withUnsafeMutableBytes { try t.read(into: $0, timeoutMs: 500) }
            bytes += buffer[..<n]
            if let start = (0..<max(0, bytes.count - 3)).first(where: { bytes[$0] == 0x55 && bytes[$0 + 1] == 0xAA && bytes[$0 + 2] == 0xEB && bytes[$0 + 3] == 0x90 && $0 + 4 < bytes.count && bytes[$0 + 4] == type }),
               bytes.count >= start + 300 {
                return Array(bytes[start..<(start + 300)])
            }
        }
        throw TransportError("no answer of type \(type)")
    }

    func command(_ code: UInt8) -> [UInt8] {
        let head: [UInt8] = [0xAA, 0x55, 0x90, 0xEB, code] + [UInt8](repeating: 0, count: 14)
        return head + [head.reduce(0, &+)]
    }

    @Test(arguments: [GATTPeripheralEmulator.Layout.separate, .combined])
    func discoveryFindsTheServiceAndTheCharacteristics(layout: GATTPeripheralEmulator.Layout) throws {
        let (p, _) = try peripheral(layout)
        let client = GATTClient(channel: ATTChannel(fd: try p.connect()), requestTimeoutMs: 2000)
        #expect(try client.exchangeMTU() == 247)
        let services = try client.primaryServices()
        #expect(services.map(\.uuid) == [BLEUUID(short: 0x1800), BLEUUID(short: 0xFFE0)])
        let ffe0 = try #require(services.last)
        let chars = try client.characteristics(start: ffe0.start, end: ffe0.end)
        switch layout {
        case .separate:
            #expect(chars.map(\.valueHandle) == [6, 8])
            #expect(chars[0].canWrite && !chars[0].canNotify && chars[1].canNotify && !chars[1].canWrite)
            #expect(chars[1].cccdHandle == 9 && chars[0].cccdHandle == nil)
        case .combined:
            #expect(chars.map(\.valueHandle) == [6])
            #expect(chars[0].canWrite && chars[0].canNotify && chars[0].cccdHandle == 7)
        }
        #expect(chars.allSatisfy { $0.uuid == BLEUUID(short: 0xFFE1) })
        #expect(BLEUUID("0000ffe1-0000-1000-8000-00805f9b34fb") == BLEUUID("FFE1"))
    }

    @Test func notificationsCarryAnswersInMTUSizedPieces() throws {
        let (p, driver) = try peripheral(.separate, mtu: 23)
        let uuids = try #require(driver.bleUUIDs)
        let t = BLETransport(address: "C8:47:8C:00:00:01", endpoint: "test", service: uuids.service, write: uuids.write, notify: uuids.notify,
                             requestTimeoutMs: 2000, logger: logger) { () throws(TransportError) -> Int32 in try p.connect() }
        try t.open()
        #expect(t.mtu == 23)
        try command(0x97).withUnsafeBytes { try t.write($0) }
        var piece = [UInt8](repeating: 0, count: 512)
        var sizes: [Int] = []
        var bytes: [UInt8] = []
        while bytes.count < 300 {
            let n = try piece.withUnsafeMutableBytes { try t.read(into: $0, timeoutMs: 2000) }
            #expect(n > 0)
            if n == 0 { break }
            sizes.append(n)
            bytes += piece[..<n]
        }
        #expect(sizes.dropLast().allSatisfy { $0 == 20 })  // MTU 23 - 3 bytes of ATT header
        #expect(sizes.count == 15)
        #expect(Array(bytes.prefix(5)) == [0x55, 0xAA, 0xEB, 0x90, 0x03] && bytes[299] == bytes[..<299].reduce(0, &+))
        t.close()
    }

    @Test func aDropMidAnswerClosesAndTheReconnectWorks() throws {
        let (p, driver) = try peripheral(.separate)
        let uuids = try #require(driver.bleUUIDs)
        let t = BLETransport(address: "C8:47:8C:00:00:02", endpoint: "test", service: uuids.service, write: uuids.write, notify: uuids.notify,
                             requestTimeoutMs: 2000, logger: logger) { () throws(TransportError) -> Int32 in try p.connect() }
        try t.open()
        let info = try answer(t, type: 0x03, after: command(0x97), on: t)
        #expect(Array(info.prefix(5)) == [0x55, 0xAA, 0xEB, 0x90, 0x03] && info[299] == info[..<299].reduce(0, &+))
        // The next answer (settings 300 + cell info 300 bytes) stops after one notification.
        p.cut(afterNotifications: 1)
        try command(0x96).withUnsafeBytes { try t.write($0) }
        #expect(throws: TransportError.self) { _ = try self.answer(t, type: 0x02) }
        #expect(!t.isOpen)
        // A second transport to the same device is refused while one is connected; after
        // the drop the device is free again.
        try t.open()
        #expect(t.isOpen)
        let other = BLETransport(address: "c8:47:8c:00:00:02", endpoint: "other", service: uuids.service, write: uuids.write,
                                 notify: uuids.notify, requestTimeoutMs: 2000, logger: logger) { () throws(TransportError) -> Int32 in try p.connect() }
        #expect(throws: TransportError.self) { try other.open() }
        let cells = try answer(t, type: 0x02, after: command(0x96), on: t)
        #expect(cells[4] == 0x02 && cells[299] == cells[..<299].reduce(0, &+))
        t.close()
        try other.open()
        other.close()
    }

    func answer(_ t: BLETransport, type: UInt8, after request: [UInt8], on: BLETransport) throws -> [UInt8] {
        try request.withUnsafeBytes { try t.write($0) }
        return try answer(t, type: type)
    }
}
