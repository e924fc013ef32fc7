import BMSDriverKit
import PylonCodec

/// Pylontech answers from a byte stream: junk before `~` is skipped, a frame ends at CR.
struct PylontechFrameDecoder: FrameDecoder {
    /// The rest of the frame once its LENGTH is in (and its length checksum is right):
    /// `~`, 12 header characters, LENID characters of INFO, 4 of CHKSUM and the CR.
    func bytesWanted(after buffer: [UInt8]) -> Int {
        guard buffer.first == 0x7E, buffer.count >= 13 else { return 1 }
        guard let field = PylonCodec.Hex.bytes(buffer[9..<13]) else { return 1 }
        let length = UInt16(field[0]) << 8 | UInt16(field[1])
        let lenid = Int(length & 0xFFF)
        guard PylonFrame.lengthField(characters: lenid) == length else { return 1 }
        return Swift.max(1, 18 + lenid - buffer.count)
    }

    mutating func decode(_ buffer: inout [UInt8]) throws(DriverError) -> PylonFrame? {
        guard let start = buffer.firstIndex(of: 0x7E) else {
            buffer.removeAll()
            return nil
        }
        buffer.removeFirst(start)
        guard let end = buffer.firstIndex(of: 0x0D) else {
            if buffer.count > 4096 { buffer.removeAll() }
            return nil
        }
        let frame = Array(buffer[...end])
        buffer.removeFirst(end + 1)
        do {
            return try PylonFrame.decode(frame)
        } catch {
            throw .frame("\(error)")
        }
    }
}

/// Readings from Pylontech answers.
enum PylontechReading {
    /// One module's analog values into a reading: the first temperature is the BMS board's.
    static func apply(_ m: PylonModuleValues, to r: inout DriverReading) {
        r.cells = m.cells
        r.voltage = m.voltage
        r.current = m.current
        r.power = m.voltage * m.current
        if let board = m.temperatures.first { r.mosTemperature = board }
        r.temperatures = Array(m.temperatures.dropFirst())
        r.remainingCapacity = m.remainingCapacity
        r.fullCapacity = m.totalCapacity
        if m.totalCapacity > 0 { r.soc = (m.remainingCapacity / m.totalCapacity * 1000).rounded() / 10 }
        r.cycles = Double(m.cycles)
    }

    /// 0x44 states into canonical alarms.
    static func alarms(_ info: [UInt8]) throws(PylonError) -> Alarms {
        var reader = PylonReader(info)
        _ = try reader.u8()
        _ = try reader.u8()
        var a: Alarms = []
        func state(_ raw: Int, above: Alarms, below: Alarms) {
            switch raw {
            case 0x01: a.insert(below)
            case 0x02: a.insert(above)
            case 0x00: break
            default: a.insert(.internalFault)
            }
        }
        for _ in 0..<(try reader.u8()) { state(try reader.u8(), above: .cellOvervoltage, below: .cellUndervoltage) }
        for _ in 0..<(try reader.u8()) { state(try reader.u8(), above: .chargeOvertemperature, below: .chargeUndertemperature) }
        state(try reader.u8(), above: .chargeOvercurrent, below: [])
        state(try reader.u8(), above: .packOvervoltage, below: .packUndervoltage)
        state(try reader.u8(), above: .dischargeOvercurrent, below: [])
        return a
    }

    /// 0x92 into the BMS-reported limits and enable bits.
    static func apply(_ m: PylonManagement, to r: inout DriverReading) {
        r.chargeEnabled = m.chargeEnabled
        r.dischargeEnabled = m.dischargeEnabled
        r.setExtra("charge_voltage_limit", m.chargeVoltage)
        r.setExtra("discharge_voltage_limit", m.dischargeVoltage)
        r.setExtra("charge_current_limit", m.chargeEnabled ? m.chargeCurrent : 0)
        r.setExtra("discharge_current_limit", m.dischargeEnabled ? m.dischargeCurrent : 0)
        if m.fullChargeRequest || m.chargeImmediately1 || m.chargeImmediately2 { r.status.append("charge requested") }
    }
}
