import BMSDriverKit

/// SMBus on top of the host's I2C transfers (with PEC when the pack asks for it): words
/// (little-endian), blocks (count byte first), ManufacturerAccess words and
/// ManufacturerBlockAccess (0x44) for MAC subcommands and Data Flash.
struct SMBus {
    let link: Link
    let address: UInt16
    let pec: Bool

    func readByte(_ cmd: UInt8) throws(DriverError) -> Int {
        Int(try link.i2c(address: address, write: [cmd], readCount: 1, pec: pec)[0])
    }

    func word(_ cmd: UInt8) throws(DriverError) -> Int {
        let b = try link.i2c(address: address, write: [cmd], readCount: 2, pec: pec)
        return Int(b[0]) | Int(b[1]) << 8
    }

    func signedWord(_ cmd: UInt8) throws(DriverError) -> Int {
        let w = try word(cmd)
        return w >= 0x8000 ? w - 0x10000 : w
    }

    func writeWord(_ cmd: UInt8, _ value: Int) throws(DriverError) {
        let v = value < 0 ? value + 0x10000 : value
        _ = try link.i2c(address: address, write: [cmd, UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)], readCount: 0, pec: pec)
    }

    func writeByte(_ cmd: UInt8, _ value: Int) throws(DriverError) {
        _ = try link.i2c(address: address, write: [cmd, UInt8(value & 0xFF)], readCount: 0, pec: pec)
    }

    /// An SMBus block read: up to 32 data bytes after the count.
    func block(_ cmd: UInt8) throws(DriverError) -> [UInt8] {
        let raw = try link.i2c(address: address, write: [cmd], readCount: 33, pec: pec)
        let n = min(Int(raw[0]), 32)
        return Array(raw[1..<(1 + n)])
    }

    /// `count` raw bytes read after writing `cmd` (an I2C block read as smbus
    /// read_i2c_block_data does it: for SBS blocks the first byte is the length).
    func rawBlock(_ cmd: UInt8, count: Int) throws(DriverError) -> [UInt8] {
        try link.i2c(address: address, write: [cmd], readCount: count, pec: false)
    }

    func writeBlock(_ cmd: UInt8, _ data: [UInt8]) throws(DriverError) {
        _ = try link.i2c(address: address, write: [cmd, UInt8(data.count)] + data, readCount: 0, pec: pec)
    }

    /// A MAC subcommand through ManufacturerBlockAccess; its result without the echoed code.
    func mac(_ sub: UInt16) throws(DriverError) -> [UInt8] {
        try writeBlock(BQ78350.manufacturerBlockAccess, [UInt8(sub & 0xFF), UInt8(sub >> 8)])
        let r = try block(BQ78350.manufacturerBlockAccess)
        guard r.count >= 2, UInt16(r[0]) | UInt16(r[1]) << 8 == sub else {
            throw .device("ManufacturerBlockAccess answered for another subcommand")
        }
        return Array(r.dropFirst(2))
    }

    /// A word to ManufacturerAccess (keys, seal, toggles).
    func macWord(_ value: UInt16) throws(DriverError) { try writeWord(BQ78350.manufacturerAccess, Int(value)) }

    /// 32 Data Flash bytes from `address`.
    func dataFlash(_ address: UInt16) throws(DriverError) -> [UInt8] { try mac(address) }

    func writeDataFlash(_ address: UInt16, _ bytes: [UInt8]) throws(DriverError) {
        try writeBlock(BQ78350.manufacturerBlockAccess, [UInt8(address & 0xFF), UInt8(address >> 8)] + bytes)
    }

    /// A 32-bit status block (SafetyStatus, OperationStatus ...).
    func status(_ cmd: UInt8) throws(DriverError) -> UInt32 {
        try block(cmd).prefix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }
}
