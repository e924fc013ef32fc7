import PylonCodec

/// The battery's side of the Pylontech RS485 protocol, as a pure function: one request
/// frame in, one answer frame out. A bad frame gets the protocol's error answer (version
/// 01, checksum 02, length checksum 03, unknown command 04, format 05, invalid data 06,
/// address 90), never silence.
enum PylonResponder {
    /// The address meaning "every module" in INFO of 0x42 and 0x44.
    static let allModules: UInt8 = 0xFF

    static func answer(_ request: [UInt8], view: PylonBankView, settings: PylonRS485Settings) -> [UInt8] {
        let frame: PylonFrame
        do {
            frame = try PylonFrame.decode(request)
        } catch {
            return PylonFrame(version: Self.field(request, 0) ?? 0x20, address: Self.field(request, 1) ?? 0, cid2: error.returnCode.rawValue).encoded
        }
        func reply(_ info: [UInt8]) -> [UInt8] {
            PylonFrame(version: frame.version, address: frame.address, cid2: PylonReturnCode.normal.rawValue, info: info).encoded
        }
        func fail(_ code: PylonReturnCode) -> [UInt8] {
            PylonFrame(version: frame.version, address: frame.address, cid2: code.rawValue).encoded
        }
        // Protocol versions are 1.0 to 3.9 in BCD (inverters send 20 or 35).
        guard (0x10...0x39).contains(frame.version), frame.version & 0x0F <= 9 else { return fail(.version) }
        guard frame.cid1 == PylonFrame.battery else { return fail(.unknownCommand) }
        guard let command = PylonCommand(rawValue: frame.cid2) else { return fail(.unknownCommand) }
        // A request carries at most its command value (one byte).
        guard frame.info.count <= 1 else { return fail(.invalidData) }
        // Most commands carry the module address again in INFO ("command value"); when it is
        // there it must name a module (or all of them, where allowed).
        let asked = frame.info.first
        let module = view.modules.first { $0.address == (asked ?? frame.address) } ?? view.modules.first { $0.address == frame.address }
        switch command {
        case .protocolVersion:
            return reply([])
        case .manufacturerInfo:
            return reply(PylonInfo.manufacturer(device: settings.deviceName, softwareVersion: (1, 0), manufacturer: settings.manufacturer))
        case .analogValues, .alarmInfo:
            if asked == allModules {
                guard view.modules.contains(where: { $0.address == frame.address }) || frame.address == 0 || frame.address == allModules else {
                    return fail(.address)
                }
                if command == .analogValues {
                    return reply(PylonInfo.analog(commandValue: UInt8(view.modules.count), modules: view.modules.map(\.values)))
                }
                return reply(view.modules.flatMap { PylonInfo.alarms(commandValue: $0.address, $0.alarms) })
            }
            guard let module else { return fail(.address) }
            return command == .analogValues
                ? reply(PylonInfo.analog(commandValue: module.address, modules: [module.values]))
                : reply(PylonInfo.alarms(commandValue: module.address, module.alarms))
        case .systemParameters:
            return reply(PylonInfo.systemParameters(view.parameters))
        case .management:
            guard let module else { return fail(.address) }
            return reply(module.management.info(commandValue: module.address))
        case .serialNumber:
            guard let module else { return fail(.address) }
            let serial = module.serial.isEmpty ? "BMSGATE\(module.address)" : module.serial
            return reply(PylonInfo.serialNumber(commandValue: module.address, serial: serial))
        case .systemAnalog:
            return reply(PylonInfo.systemAnalog(view.system))
        case .systemAlarms:
            return reply(view.systemAlarms.info)
        case .systemManagement:
            return reply(PylonInfo.systemManagement(view.systemManagement))
        case .firmware:
            guard let module else { return fail(.address) }
            return reply(PylonInfo.firmware(commandValue: module.address, manufacture: (1, 0), mainLine: (1, 0, 0)))
        }
    }

    /// A byte of the header (0 = VER, 1 = ADR) read from a frame too broken to decode.
    static func field(_ request: [UInt8], _ index: Int) -> UInt8? {
        let at = 1 + 2 * index
        guard request.count >= at + 2 else { return nil }
        return Hex.bytes(request[at..<(at + 2)])?.first
    }
}
