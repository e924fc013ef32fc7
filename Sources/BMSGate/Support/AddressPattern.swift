import Foundation

/// One entry of a `clients:` or `allow:` list: an IPv4 or IPv6 address, or a network in
/// CIDR form (`192.168.1.20`, `192.168.1.0/24`, `fd00::/8`). IPv4 clients that reach an
/// IPv6 listener arrive as `::ffff:a.b.c.d` and match IPv4 patterns.
public struct AddressPattern: Sendable, Hashable, CustomStringConvertible {
    /// 16 bytes: IPv4 is stored IPv4-mapped (`::ffff:a.b.c.d`).
    let network: [UInt8]
    /// Leading bits that must match (of the 128).
    let prefixBits: Int
    /// As written in the site file.
    public let description: String

    /// Parses `text`; nil when it is neither an address nor an address/prefix.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let address = Self.bytes(of: String(parts[0])) else { return nil }
        let isV4 = address.isV4
        var bits = isV4 ? 32 : 128
        if parts.count == 2 {
            guard let n = Int(parts[1]), (0...bits).contains(n), parts[1].allSatisfy(\.isASCII) else { return nil }
            bits = n
        }
        prefixBits = isV4 ? 96 + bits : bits
        network = address.bytes
        description = text
    }

    /// Whether `peer` (16 bytes as from `PeerAddress`) lies in this network.
    public func matches(_ peer: PeerAddress) -> Bool {
        var left = prefixBits
        for i in 0..<16 where left > 0 {
            let take = min(8, left)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
            if network[i] & mask != peer.bytes[i] & mask { return false }
            left -= take
        }
        return true
    }

    static func bytes(of text: String) -> (bytes: [UInt8], isV4: Bool)? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            let raw = withUnsafeBytes(of: v4.s_addr) { Array($0) }
            return ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + raw, true)
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return (withUnsafeBytes(of: v6) { Array($0) }, false)
        }
        return nil
    }
}

/// The address of a connected client as 16 bytes (IPv4 mapped into IPv6), for matching and
/// for counting connections per address.
public struct PeerAddress: Sendable, Hashable, CustomStringConvertible {
    /// IPv6 bytes; IPv4 is `::ffff:a.b.c.d`.
    public let bytes: [UInt8]

    /// Parses a numeric address (`127.0.0.1`, `::1`, `::ffff:10.0.0.2`); nil when not one.
    public init?(_ text: String) {
        guard let parsed = AddressPattern.bytes(of: text) else { return nil }
        bytes = parsed.bytes
    }

    /// From an accepted socket's address; nil for families other than IPv4 and IPv6.
    public init?(_ storage: sockaddr_storage) {
        var a = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let raw = withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in withUnsafeBytes(of: p.pointee.sin_addr) { Array($0) } }
            }
            bytes = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + raw
        case AF_INET6:
            bytes = withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) } }
            }
        default:
            return nil
        }
    }

    /// Dotted IPv4 for mapped addresses, else the IPv6 text.
    public var description: String {
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        var v6 = in6_addr()
        withUnsafeMutableBytes(of: &v6) { $0.copyBytes(from: bytes) }
        var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &v6, &out, socklen_t(out.count)) != nil else { return "?" }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
