import BMSDriverKit

extension JKEmulator {
    /// BLE: 20-byte commands in, 300-byte answers out (the host's GATT peripheral emulator
    /// turns them into notifications of the MTU's size).
    func bleExchange(_ d: Device, _ bytes: [UInt8]) -> [UInt8] {
        input += bytes
        var out: [UInt8] = []
        while let start = JKBLEAssembler.find(JKBLEFrame.commandHeader, in: input) {
            input.removeFirst(start)
            guard input.count >= 20 else { break }
            let command = Array(input[..<20])
            input.removeFirst(20)
            guard JKBLEFrame.sum8(command[..<19]) == command[19], !d.silent else { continue }
            d.bleCounter &+= 1
            switch command[4] {
            case JKBLEFrame.commandDeviceInfo:
                let (hw, sw) = switch bleLayout {
                case .jk02_32S: ("11.XW", "11.26")
                case .jk02_24S: ("10.XG", "10.07")
                case .jk04: ("3.0", "3.3.0")
                }
                out += JKBLEAnswers.deviceInfo(model: "JK_B2A8S20P", hardware: hw, software: sw, serial: "BMSGATE0001",
                                               name: "JK-EMU", upTime: 86400, powerOns: 3, counter: d.bleCounter)
            case JKBLEFrame.commandCellInfo:
                out += JKBLEAnswers.settings(cells: d.cells.count, counter: d.bleCounter)
                var v = JKBLEAnswers.Values(cells: d.cells)
                v.resistances = d.cells.map { _ in 0.2 }
                v.current = d.current
                v.temperatures = [d.box, d.battery]
                v.mos = d.mos
                v.soc = d.soc
                v.cycles = d.cycles
                v.remaining = (280 * d.soc).rounded() / 100
                v.errors = d.warnings
                v.charging = d.status & 1 != 0
                v.discharging = d.status & 2 != 0
                out += JKBLEAnswers.cellInfo(v, layout: bleLayout, counter: d.bleCounter)
            default:
                continue
            }
        }
        return out
    }
}
