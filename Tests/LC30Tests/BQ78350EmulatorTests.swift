import BMSDriverKit
import Testing

@testable import LC30

/// The bq78350 emulator answers SMBus transactions as the chip does, and the Data Flash
/// value codec.
@Suite struct BQ78350EmulatorTests {
    func transfer(_ e: BQ78350Emulator, _ address: UInt16 = 0x0B, write: [UInt8], read: Int) -> [UInt8]? {
        let request = [0x49, UInt8(address & 0xFF), UInt8(address >> 8), UInt8(write.count), 0] + write + [UInt8(read & 0xFF), UInt8(read >> 8)]
        let answer = e.exchange(request)
        guard let status = answer.first else { return nil }
        return status == 0 ? Array(answer.dropFirst()) : nil
    }

    func crc8(_ bytes: [UInt8]) -> UInt8 {
        var crc: UInt8 = 0
        for b in bytes {
            crc ^= b
            for _ in 0..<8 { crc = crc & 0x80 != 0 ? (crc << 1) ^ 0x07 : crc << 1 }
        }
        return crc
    }

    @Test func wordsBlocksAndPEC() throws {
        let e = try BQ78350Emulator(options: DriverOptions([("addresses", "0x0B")]))
        #expect(transfer(e, write: [0x09], read: 2) == [0xE0, 0x3D])  // 15840 mV
        #expect(transfer(e, write: [0x0A], read: 2) == [0x1E, 0xFB])  // -1250 mA
        let withPEC = try #require(transfer(e, write: [0x09], read: 3))
        #expect(withPEC[2] == crc8([0x16, 0x09, 0x17, 0xE0, 0x3D]))
        let name = try #require(transfer(e, write: [0x21], read: 33))
        #expect(name[0] == 10 && Array(name[1...10]) == Array("BQ78350-R1".utf8))
        #expect(transfer(e, 0x0C, write: [0x09], read: 2) == nil)  // another address: silence
        #expect(e.exchange([0x49, 0x0B, 0, 1, 0, 0x7B, 2, 0]) == [0x01])  // unknown command: NACK
        #expect(crc8(Array("123456789".utf8)) == 0xF4)  // CRC-8 check value
    }

    @Test func securityAndDataFlash() throws {
        let e = try BQ78350Emulator(options: DriverOptions([]))
        func word(_ v: UInt16) -> [UInt8] { [0x00, UInt8(v & 0xFF), UInt8(v >> 8)] }
        func opStatus() -> UInt32 {
            let b = transfer(e, write: [0x54], read: 33)!
            return UInt32(b[1]) | UInt32(b[2]) << 8 | UInt32(b[3]) << 16 | UInt32(b[4]) << 24
        }
        #expect(BQ78350.security(operationStatus: opStatus()) == "SEALED")
        // Sealed: Data Flash is refused.
        #expect(transfer(e, write: [0x44, 2, 0xCC, 0x45], read: 0) == nil)
        _ = transfer(e, write: word(0x1111), read: 0)
        _ = transfer(e, write: word(0x2222), read: 0)
        #expect(BQ78350.security(operationStatus: opStatus()) == "SEALED")
        _ = transfer(e, write: word(0x0414), read: 0)
        _ = transfer(e, write: word(0x3672), read: 0)
        #expect(BQ78350.security(operationStatus: opStatus()) == "UNSEALED")
        // Data Flash: point at 0x45CC, read the block (address echoed first).
        #expect(transfer(e, write: [0x44, 2, 0xCC, 0x45], read: 0) == [])
        let df = try #require(transfer(e, write: [0x44], read: 33))
        #expect(df[0] == 34 && df[1] == 0xCC && df[2] == 0x45)
        #expect(BQ78350DataFlash.decode(df[3...4], .i2) == 3000)
        // Write 4200 and read it back.
        #expect(transfer(e, write: [0x44, 4, 0xCC, 0x45, 0x68, 0x10], read: 0) == [])
        _ = transfer(e, write: [0x44, 2, 0xCC, 0x45], read: 0)
        #expect(BQ78350DataFlash.decode(transfer(e, write: [0x44], read: 33)![3...4], .i2) == 4200)
        _ = transfer(e, write: word(0x0030), read: 0)
        #expect(BQ78350.security(operationStatus: opStatus()) == "SEALED")
    }

    @Test func dataFlashValueCodec() {
        #expect(BQ78350DataFlash.encode(-6000, size: 2, signed: true) == [0x90, 0xE8])
        #expect(BQ78350DataFlash.decode([0x90, 0xE8], .i2) == -6000)
        #expect(BQ78350DataFlash.encode(70000, size: 2, signed: false) == nil)
        #expect(BQ78350DataFlash.encode(-1, size: 1, signed: false) == nil)
        #expect(BQ78350DataFlash.decode([0xFF], .u1) == 255 && BQ78350DataFlash.decode([0xFF], .i1) == -1)
        #expect(Set(BQ78350DataFlash.parameters.map(\.address)).count == BQ78350DataFlash.parameters.count)
        #expect(BQ78350DataFlash.parameters.allSatisfy { $0.address >= 0x4000 && Int($0.address) + $0.type.size - 1 <= 0x47FF })
        #expect(BQ78350.security(operationStatus: 0x0100) == "FULL_ACCESS")
        #expect(BQ78350.setFlags("safety_status", 0b11)["COV"] == true)
    }
}
