/// Checks packs against what their drivers describe (ABI 1.1 option descriptors): unknown
/// option keys, values of the wrong type or out of range, addresses the driver cannot take,
/// and two packs that are one device because their addresses are equal by value.
enum PackOptionValidation {
    /// Every problem of `packs`, with the location of the offending value.
    static func issues(_ site: SiteConfig, catalog: DriverCatalog) -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        var devices: [String: PackConfig] = [:]
        for pack in site.packs {
            guard let driver = catalog.driver(pack.driver) else { continue }
            if let described = driver.options {
                for (key, value) in pack.options {
                    let at = pack.optionLocations[key] ?? pack.location
                    guard let option = described.first(where: { $0.key == key }) else {
                        let known = described.map(\.key).sorted().joined(separator: ", ")
                        issues.append(ConfigIssue(at, "pack '\(pack.id)': driver '\(driver.id)' has no option '\(key)' (\(known.isEmpty ? "it takes no options" : "known: " + known))"))
                        continue
                    }
                    if let problem = option.problem(with: value) { issues.append(ConfigIssue(at, "pack '\(pack.id)': \(problem)")) }
                }
            }
            guard let address = driver.addressOption, let bus = site.buses.first(where: { $0.id == pack.bus }), !bus.isBLE else { continue }
            let at = pack.addressLocation ?? pack.location
            if pack.address.isEmpty {
                if address.defaultValue == nil {
                    issues.append(ConfigIssue(pack.location, "pack '\(pack.id)' needs an address: \(address.help)"))
                }
                continue
            }
            if let problem = address.problem(with: pack.address) {
                issues.append(ConfigIssue(at, "pack '\(pack.id)': \(problem) (\(address.help))"))
                continue
            }
            let device = "\(pack.bus)\u{0}\(pack.driver)\u{0}\(address.normalized(pack.address))"
            if let other = devices[device] {
                issues.append(ConfigIssue(at, "packs '\(other.id)' and '\(pack.id)' are the same device: address '\(other.address)' and '\(pack.address)' on bus '\(pack.bus)' are both \(address.normalized(pack.address))"))
            } else {
                devices[device] = pack
            }
        }
        return issues
    }
}
