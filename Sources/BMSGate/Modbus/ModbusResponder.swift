/// Answers one Modbus-TCP request (an ADU: MBAP header + PDU) from a register image, as a
/// pure function: holding and input registers (0x03, 0x04) are served from the image,
/// 0x11 reports the server, writes get ILLEGAL FUNCTION (the server is read-only), any
/// other function code gets ILLEGAL FUNCTION too (the connection stays open), a bad
/// quantity ILLEGAL DATA VALUE and addresses outside the image ILLEGAL DATA ADDRESS, all
/// at once (libmodbus's reply paused 500 ms before some of these).
enum ModbusResponder {
    /// Exception codes.
    static let illegalFunction: UInt8 = 0x01, illegalAddress: UInt8 = 0x02, illegalValue: UInt8 = 0x03
    static let gatewayTargetFailed: UInt8 = 0x0B

    /// What a request got: its answer and whether it is an exception.
    struct Answer: Equatable {
        var bytes: [UInt8]
        var exception: Bool
    }

    /// The answer to `adu` (a complete request: 7-byte MBAP header, then the PDU).
    static func answer(_ adu: [UInt8], image: RegisterImage, serverText: String) -> Answer {
        let unit = adu[6], function = adu[7]
        func reply(_ pdu: [UInt8], exception: Bool = false) -> Answer {
            let length = pdu.count + 1
            return Answer(bytes: [adu[0], adu[1], 0, 0, UInt8(length >> 8), UInt8(length & 0xFF), unit] + pdu, exception: exception)
        }
        func fail(_ code: UInt8) -> Answer { reply([function | 0x80, code], exception: true) }
        guard function < 0x80 else { return fail(illegalFunction) }
        let registers = image.units[unit] ?? (unit == 0xFF && image.units.count == 1 ? image.units.values.first : nil)
        switch function {
        case 0x03, 0x04:
            guard let registers else { return fail(gatewayTargetFailed) }
            guard adu.count >= 12 else { return fail(illegalValue) }
            let start = Int(adu[8]) << 8 | Int(adu[9]), count = Int(adu[10]) << 8 | Int(adu[11])
            guard (1...125).contains(count) else { return fail(illegalValue) }
            guard start >= registers.start, start + count <= registers.start + registers.registers.count else { return fail(illegalAddress) }
            var pdu: [UInt8] = [function, UInt8(count * 2)]
            pdu.reserveCapacity(2 + count * 2)
            for v in registers.registers[(start - registers.start)..<(start - registers.start + count)] {
                pdu.append(UInt8(v >> 8))
                pdu.append(UInt8(v & 0xFF))
            }
            return reply(pdu)
        case 0x11:
            guard registers != nil else { return fail(gatewayTargetFailed) }
            let text = Array(serverText.utf8.prefix(240))
            return reply([0x11, UInt8(2 + text.count), unit, 0xFF] + text)
        default:
            // Writes (0x05, 0x06, 0x0F, 0x10, 0x16, 0x17) and every code this server does not
            // serve: ILLEGAL FUNCTION (even for an unknown unit: the function is the problem).
            return fail(illegalFunction)
        }
    }
}
