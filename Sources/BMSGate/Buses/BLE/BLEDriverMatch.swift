import CBMSDriver

/// Which loaded drivers fit a BLE device, from what it advertises: its name against the
/// driver's `ble_names` patterns (ABI 1.2), or an advertised service UUID equal to the
/// driver's BLE service. `bmsgate scan --ble` marks devices with these.
public enum BLEDriverMatch {
    /// The ids of the drivers in `drivers` that fit `ad`, in catalog order.
    public static func drivers(for ad: BLEAdvertisement, in drivers: [LoadedDriver]) -> [String] {
        drivers.filter { d in
            guard d.transports & BMS_TRANSPORT_BLE.rawValue != 0 else { return false }
            if let name = ad.name, d.bleNames.contains(where: { matches(name, pattern: $0) }) { return true }
            if let service = d.bleUUIDs?.service, ad.services.contains(service) { return true }
            return false
        }.map(\.id)
    }

    /// Glob match: `*` any run of characters, `?` one character, the rest literally
    /// (case-sensitive, as devices advertise them).
    public static func matches(_ name: String, pattern: String) -> Bool {
        let n = Array(name.unicodeScalars), p = Array(pattern.unicodeScalars)
        var i = 0, j = 0, star = -1, mark = 0
        while i < n.count {
            if j < p.count, p[j] == "?" || p[j] == n[i] {
                i += 1
                j += 1
            } else if j < p.count, p[j] == "*" {
                star = j
                mark = i
                j += 1
            } else if star >= 0 {
                j = star + 1
                mark += 1
                i = mark
            } else {
                return false
            }
        }
        while j < p.count, p[j] == "*" { j += 1 }
        return j == p.count
    }
}
