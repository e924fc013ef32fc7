/// Freshness settings that work but are probably not meant: a pack stale before its next
/// poll flaps offline (its bank at 0 A) between good polls; one that stays fresh for minutes
/// lets an inverter act on data that old.
enum StalenessWarnings {
    /// Longest `stale_after` that passes without a warning.
    static let longest: Duration = .seconds(300)

    static func issues(_ site: SiteConfig) -> [ConfigIssue] {
        var out: [ConfigIssue] = []
        for pack in site.packs {
            let bank = site.banks.first { $0.packs.contains(pack.id) }
            let stale = pack.staleAfter ?? bank?.staleAfter ?? .seconds(10)
            let at = pack.staleAfter != nil ? pack.location : (bank?.location ?? pack.location)
            if stale <= pack.pollInterval {
                out.append(ConfigIssue(at, "pack '\(pack.id)': stale_after \(stale.milliseconds) ms is not longer than its poll_interval \(pack.pollInterval.milliseconds) ms: it will go offline (and its bank to 0 A) between good polls"))
            } else if stale > longest {
                out.append(ConfigIssue(at, "pack '\(pack.id)': stale_after \(Int(stale.seconds)) s: an inverter would keep acting on data that old; a few poll intervals is usual"))
            }
        }
        return out
    }
}
