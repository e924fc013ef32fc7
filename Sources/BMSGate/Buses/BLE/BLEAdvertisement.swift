/// One device seen by an LE scan.
public struct BLEAdvertisement: Sendable, Equatable {
    public var address: String
    public var name: String?
    public var rssi: Int
    public var services: [BLEUUID]

    /// A device as seen: its address, advertised name, signal and service UUIDs.
    public init(address: String, name: String?, rssi: Int, services: [BLEUUID]) {
        self.address = address
        self.name = name
        self.rssi = rssi
        self.services = services
    }

    /// Parses the LE Advertising Report event parameters (after the subevent code):
    /// count, then per report: event type, address type, address (6, LE), data length,
    /// data (AD structures), RSSI.
    public static func reports(_ p: [UInt8]) -> [BLEAdvertisement] {
        guard let count = p.first else { return [] }
        var out: [BLEAdvertisement] = []
        var i = 1
        for _ in 0..<count {
            guard i + 9 <= p.count else { break }
            let address = p[(i + 2)..<(i + 8)].reversed().map { ($0 < 16 ? "0" : "") + String($0, radix: 16).uppercased() }.joined(separator: ":")
            let length = Int(p[i + 8])
            guard i + 9 + length + 1 <= p.count else { break }
            let data = Array(p[(i + 9)..<(i + 9 + length)])
            let rssi = Int(Int8(bitPattern: p[i + 9 + length]))
            var ad = BLEAdvertisement(address: address, name: nil, rssi: rssi, services: [])
            ad.parse(data)
            out.append(ad)
            i += 10 + length
        }
        return out
    }

    /// Reads the AD structures we show: names (0x08 shortened, 0x09 complete) and 16-bit
    /// service UUIDs (0x02, 0x03).
    mutating func parse(_ data: [UInt8]) {
        var k = 0
        while k < data.count {
            let len = Int(data[k])
            guard len > 0, k + 1 + len <= data.count else { break }
            let type = data[k + 1]
            let value = Array(data[(k + 2)..<(k + 1 + len)])
            switch type {
            case 0x08 where name == nil, 0x09:
                name = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
            case 0x02, 0x03:
                for j in stride(from: 0, to: value.count - 1, by: 2) {
                    services.append(BLEUUID(short: UInt16(value[j]) | UInt16(value[j + 1]) << 8))
                }
            default: break
            }
            k += 1 + len
        }
    }

    /// True when `filter` (address or name, as ubmsc's -d) names this device.
    public func matches(_ filter: String) -> Bool {
        address.caseInsensitiveCompare(filter) == .orderedSame || name == filter
    }
}
