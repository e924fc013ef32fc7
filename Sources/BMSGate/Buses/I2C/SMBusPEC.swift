/// SMBus Packet Error Code: CRC-8, polynomial x^8 + x^2 + x + 1 (0x07), initial value 0,
/// over every byte of the transaction including the address bytes.
public enum SMBusPEC {
    /// The PEC of `bytes`.
    public static func crc8(_ bytes: some Sequence<UInt8>) -> UInt8 {
        var crc: UInt8 = 0
        for b in bytes {
            crc ^= b
            for _ in 0..<8 { crc = crc & 0x80 != 0 ? (crc << 1) ^ 0x07 : crc << 1 }
        }
        return crc
    }
}
