import Foundation
import Yams

/// Reads and checks a site file. Every problem is collected and reported with its
/// `FILE:LINE:COL`; nothing is half-applied.
public enum ConfigLoader {
    /// Reads the file at `path`.
    public static func load(path: String) throws(ConfigError) -> SiteConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError([ConfigIssue(SourceLocation(file: path, line: 1, column: 1), "cannot read the file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError([ConfigIssue(SourceLocation(file: path, line: 1, column: 1), "the file is not UTF-8 text")])
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses site YAML text; `file` names it in messages.
    public static func parse(yaml: String, file: String) throws(ConfigError) -> SiteConfig {
        let d = ConfigDiagnostics(file: file)
        if let deep = YAMLDepth.tooDeep(yaml, limit: YAMLDepth.limit) {
            throw ConfigError([ConfigIssue(SourceLocation(file: file, line: deep.line, column: deep.column),
                                           "nesting deeper than \(YAMLDepth.limit) levels: a site file never needs that many")])
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ConfigError([ConfigIssue(SourceLocation(file: file, line: 1, column: 1), "the file is empty")])
            }
            root = node
        } catch let error as ConfigError {
            throw error
        } catch let error as YamlError {
            throw ConfigError([yamlIssue(error, file: file)])
        } catch {
            throw ConfigError([ConfigIssue(SourceLocation(file: file, line: 1, column: 1), "\(error)")])
        }
        guard let top = YAMLSection(root, what: "the site file", diagnostics: d) else { throw ConfigError(d.distinctIssues) }
        top.reject(unknownBut: ["site", "plugin_dirs", "buses", "packs", "banks", "sinks", "state_dir"])
        let site = top.string("site") ?? "site"
        let pluginDirs = top.stringList("plugin_dirs")?.map(\.0) ?? []
        var ids = IdRegistry(diagnostics: d)

        let buses = top.sequence("buses").enumerated().compactMap { i, node in parseBus(node, index: i, d, &ids) }
        let packs = top.sequence("packs").enumerated().compactMap { i, node in parsePack(node, index: i, d, &ids) }
        let banks = top.sequence("banks").enumerated().compactMap { i, node in parseBank(node, index: i, d, &ids) }
        let sinks = top.sequence("sinks").enumerated().compactMap { i, node in parseSink(node, index: i, d) }

        // References.
        let busIds = Set(buses.map(\.id))
        for pack in packs where !busIds.contains(pack.bus) && ids.declared("bus", pack.bus) == false {
            d.issues.append(ConfigIssue(pack.location, "pack '\(pack.id)' names bus '\(pack.bus)', which is not defined (buses: \(buses.map(\.id).joined(separator: ", ")))"))
        }
        let packIds = Set(packs.map(\.id))
        for bank in banks {
            for (member, node) in bank.memberNodes where !packIds.contains(member) && ids.declared("pack", member) == false {
                d.report(node, "bank '\(bank.config.id)' names pack '\(member)', which is not defined")
            }
        }
        var units: [Int: String] = [:]
        for bank in banks where bank.config.unitId > 0 {
            if let other = units[bank.config.unitId] {
                d.issues.append(ConfigIssue(bank.config.location, "banks '\(other)' and '\(bank.config.id)' both use Modbus unit_id \(bank.config.unitId)"))
            }
            units[bank.config.unitId] = bank.config.id
        }
        var owner: [String: String] = [:]
        for bank in banks {
            var listed = Set<String>()
            for (member, node) in bank.memberNodes where !listed.insert(member).inserted {
                d.report(node, "bank '\(bank.config.id)' lists pack '\(member)' twice: its capacity and SoC would count twice")
            }
            for (member, node) in bank.memberNodes {
                if let other = owner[member], other != bank.config.id {
                    d.report(node, "pack '\(member)' is already in bank '\(other)'; a pack belongs to one bank")
                }
                owner[member] = bank.config.id
            }
        }
        for pack in packs {
            guard let bus = buses.first(where: { $0.id == pack.bus }), bus.isBLE else { continue }
            if !BLEAddress.isValid(pack.address) {
                d.issues.append(ConfigIssue(pack.location, "pack '\(pack.id)' is on BLE bus '\(bus.id)': its address must be the device's BLE address like C8:47:8C:12:34:56 (`bmsgate scan --ble` lists them), not '\(pack.address)'"))
            }
        }
        var bleOwners: [String: String] = [:]
        for pack in packs where buses.first(where: { $0.id == pack.bus })?.isBLE == true && BLEAddress.isValid(pack.address) {
            let key = pack.address.uppercased()
            if let other = bleOwners[key] {
                d.issues.append(ConfigIssue(pack.location, "packs '\(other)' and '\(pack.id)' both use BLE device \(key): a device takes one connection"))
            }
            bleOwners[key] = pack.id
        }
        // Each later pack is reported once against the first at its address (linear, not pairwise).
        var firstAt: [String: PackConfig] = [:]
        for b in packs {
            let key = "\(b.bus)\u{0}\(b.driver)\u{0}\(b.address)"
            if let a = firstAt[key] {
                d.issues.append(ConfigIssue(b.location, "packs '\(a.id)' and '\(b.id)' both use address '\(a.address)' on bus '\(a.bus)'"))
            } else {
                firstAt[key] = b
            }
        }
        d.issues += DeviceChecks.issues(buses: buses, sinks: sinks)
        var bankConfigs = banks.map(\.config)
        d.issues += InverterVoltages.merge(banks: &bankConfigs, sinks: sinks)
        let draft = SiteConfig(file: file, site: site, pluginDirs: pluginDirs, buses: buses, packs: packs,
                               banks: bankConfigs, sinks: sinks, siteLocation: top.value("site").map { d.location($0) })
        var reported = Set<String>()
        for sink in sinks {
            for problem in sink.settings.problems(in: draft) {
                let issue = ConfigIssue(problem.at ?? sink.location, problem.message)
                if reported.insert(issue.description).inserted { d.issues.append(issue) }
            }
        }
        // Packs and banks publish under the same topic level (<prefix>/<site>/<id>/state).
        for bank in banks where packIds.contains(bank.config.id) {
            d.issues.append(ConfigIssue(bank.config.location, "bank id '\(bank.config.id)' is also a pack id; give the bank its own name"))
        }
        var listens: [Int: SinkConfig] = [:]
        for sink in sinks {
            guard let port = sink.settings.listenPort, port != 0 else { continue }
            if let other = listens[port] {
                let who = sink.typeName == other.typeName ? "two \(sink.typeName) sinks" : "the \(other.typeName) sink (\(other.location)) and this \(sink.typeName) sink"
                d.issues.append(ConfigIssue(sink.location, "\(who) listen on port \(port)"))
            }
            listens[port] = sink
        }
        if let problem = DescriptorBudget.problem(buses: buses.count, sinks: sinks.map(\.settings)) {
            d.issues.append(ConfigIssue(sinks.first { $0.settings.maxConnections != nil }?.location ?? SourceLocation(file: file, line: 1, column: 1), problem))
        }
        if packs.isEmpty && d.issues.isEmpty {
            d.report(top.keyNode("packs") ?? root, "the site has no packs: add at least one under 'packs:'")
        }
        if !d.issues.isEmpty { throw ConfigError(d.distinctIssues) }
        let resolvedSinks = sinks.map { sink -> SinkConfig in
            var out = sink
            out.settings = sink.settings.resolved(in: draft)
            return out
        }
        var result = SiteConfig(file: file, site: site, pluginDirs: pluginDirs, buses: buses, packs: packs,
                                banks: bankConfigs, sinks: resolvedSinks, siteLocation: draft.siteLocation)
        result.stateDir = top.string("state_dir")
        if result.stateDir?.isEmpty == true { d.report(top.value("state_dir"), "'state_dir' must name a folder (e.g. /var/lib/bmsgate or data)") }
        if !d.issues.isEmpty { throw ConfigError(d.distinctIssues) }
        result.warnings = StalenessWarnings.issues(result)
            + resolvedSinks.flatMap { sink in sink.settings.warnings(in: result).map { ConfigIssue(sink.location, $0) } }
            + resolvedSinks.flatMap { sink in InverterLimitWarnings.warnings(for: sink.settings, in: result).map { ConfigIssue(sink.location, $0) } }
            + resolvedSinks.filter { $0.settings.listenPort == 0 }.map { sink in
                ConfigIssue(sink.location, "the \(sink.typeName) sink listens on port 0: the kernel picks a free port at each start (it is logged, \"listening on HOST:PORT\"); clients that need a fixed address want a fixed port")
            }
        return result
    }

    static func yamlIssue(_ error: YamlError, file: String) -> ConfigIssue {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return ConfigIssue(SourceLocation(file: file, line: mark.line, column: mark.column), "YAML syntax: \(problem)")
        default:
            return ConfigIssue(SourceLocation(file: file, line: 1, column: 1), "YAML: \(error)")
        }
    }

    // MARK: sections

    static func parseBus(_ node: Node, index: Int, _ d: ConfigDiagnostics, _ ids: inout IdRegistry) -> BusConfig? {
        guard let s = YAMLSection(node, what: "buses[\(index)]", diagnostics: d) else { return nil }
        guard let id = ids.claim("bus", s) else { return nil }
        let what = "bus '\(id)'"
        let section = YAMLSection(node, what: what, diagnostics: d)!
        guard let type = section.string("type", required: true) else { return nil }
        guard let registration = BusRegistry.registration(type) else {
            d.report(section.value("type"), "unknown bus type '\(type)' (supported: \(BusRegistry.all.map(\.type).joined(separator: ", ")))")
            return nil
        }
        section.reject(unknownBut: ["id", "type"] + registration.keys)
        guard let settings = registration.parse(section, id, d) else { return nil }
        return BusConfig(id: id, settings: settings, location: section.location)
    }

    static func parsePack(_ node: Node, index: Int, _ d: ConfigDiagnostics, _ ids: inout IdRegistry) -> PackConfig? {
        guard let s = YAMLSection(node, what: "packs[\(index)]", diagnostics: d) else { return nil }
        guard let id = ids.claim("pack", s) else { return nil }
        let section = YAMLSection(node, what: "pack '\(id)'", diagnostics: d)!
        section.reject(unknownBut: ["id", "driver", "bus", "address", "poll_interval", "timeout", "retries",
                                    "max_backoff", "stale_after", "allow_writes", "options", "limits"])
        guard let driver = section.string("driver", required: true),
              let bus = section.string("bus", required: true) else { return nil }
        var pack = PackConfig(id: id, driver: driver, bus: bus, address: section.string("address") ?? "", location: section.location)
        pack.driverLocation = d.location(section.value("driver"))
        pack.addressLocation = section.value("address").map { d.location($0) }
        pack.pollInterval = section.duration("poll_interval", minimum: .milliseconds(50)) ?? pack.pollInterval
        pack.timeout = section.duration("timeout", minimum: .milliseconds(10)) ?? pack.timeout
        pack.timeoutSet = section.value("timeout") != nil
        pack.retries = section.int("retries", in: 0...10) ?? pack.retries
        pack.maxBackoff = section.duration("max_backoff", minimum: .milliseconds(50)) ?? pack.maxBackoff
        pack.staleAfter = section.duration("stale_after", minimum: .milliseconds(100))
        pack.allowWrites = section.bool("allow_writes") ?? false
        if let limits = section.value("limits") { pack.limits = LimitsParsing.pack(limits, what: "limits of pack '\(id)'", d) }
        if let options = section.value("options") {
            if let o = YAMLSection(options, what: "options of pack '\(id)'", diagnostics: d) {
                for (k, v) in o.pairs {
                    guard let key = k.string, case .scalar(let value) = v else {
                        d.report(v, "options of pack '\(id)' must be key: value text pairs")
                        continue
                    }
                    pack.options.append((key, value.string))
                    pack.optionLocations[key] = d.location(v)
                }
            }
        }
        return pack
    }

    struct ParsedBank {
        var config: BankConfig
        var memberNodes: [(String, Node)]
    }

    static func parseBank(_ node: Node, index: Int, _ d: ConfigDiagnostics, _ ids: inout IdRegistry) -> ParsedBank? {
        guard let s = YAMLSection(node, what: "banks[\(index)]", diagnostics: d) else { return nil }
        guard let id = ids.claim("bank", s) else { return nil }
        let section = YAMLSection(node, what: "bank '\(id)'", diagnostics: d)!
        section.reject(unknownBut: ["id", "packs", "stale_after", "unit_id", "limits", "failsafe", "charge", "soc"])
        guard let members = section.stringList("packs") else {
            d.report(node, "bank '\(id)' is missing 'packs'")
            return nil
        }
        if members.isEmpty { d.report(section.value("packs"), "bank '\(id)' has no packs") }
        var bank = BankConfig(id: id, packs: members.map(\.0), unitId: section.int("unit_id", in: 1...247) ?? (section.value("unit_id") == nil ? index + 1 : 0),
                              location: section.location)
        bank.staleAfter = section.duration("stale_after", minimum: .milliseconds(100)) ?? bank.staleAfter
        if let limits = section.value("limits") {
            bank.limits = LimitsParsing.bank(limits, what: "limits of bank '\(id)'", d)
            bank.inverter.dischargeVoltage = YAMLSection(limits, what: "limits of bank '\(id)'", diagnostics: d)?.number("discharge_voltage", in: 1...1000)
        }
        if let v = section.value("failsafe") {
            if let text = v.string, let failsafe = Failsafe(rawValue: text) { bank.limits.failsafe = failsafe } else {
                d.report(v, "'failsafe' of bank '\(id)' must be zero (0 A while a pack is offline) or share (the others keep their share)")
            }
        }
        if let v = section.value("soc") {
            if let text = v.string, let source = ChargeConfig.SocSource(rawValue: text) { bank.charge.socSource = source } else {
                d.report(v, "'soc' of bank '\(id)' must be bms (the packs' own SoC) or gateway (counted by the gateway from the current)")
            }
        }
        if let charge = section.value("charge") { bank.charge = ChargeParsing.parse(charge, bank: bank, d) }
        return ParsedBank(config: bank, memberNodes: members)
    }

    static func parseSink(_ node: Node, index: Int, _ d: ConfigDiagnostics) -> SinkConfig? {
        guard let s = YAMLSection(node, what: "sinks[\(index)]", diagnostics: d) else { return nil }
        guard let type = s.string("type", required: true) else { return nil }
        let section = YAMLSection(node, what: "sink '\(type)' (sinks[\(index)])", diagnostics: d)!
        guard let registration = SinkRegistry.registration(type) else {
            d.report(section.value("type"), "unknown sink type '\(type)' (supported: \(SinkRegistry.all.map(\.type).joined(separator: ", ")))")
            return nil
        }
        var known = ["type", "queue"]
        for key in registration.keys where !known.contains(key) { known.append(key) }
        section.reject(unknownBut: known)
        let queue = registration.runnerQueue ? section.int("queue", in: 1...1_000_000) ?? 64 : 64
        guard let settings = registration.parse(section, d) else { return nil }
        return SinkConfig(settings: settings, queue: queue, location: section.location)
    }
}

/// Checks ids: present, well-formed, unique per kind; remembers declared ones (even broken
/// declarations) so references to them are not reported twice.
struct IdRegistry {
    let diagnostics: ConfigDiagnostics
    var seen: [String: Set<String>] = [:]

    init(diagnostics: ConfigDiagnostics) { self.diagnostics = diagnostics }

    mutating func claim(_ kind: String, _ s: YAMLSection) -> String? {
        guard let id = s.string("id", required: true) else { return nil }
        let ok = !id.isEmpty && id.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "-" || $0 == "_"
        }
        guard ok else {
            diagnostics.report(s.value("id"), "\(kind) id '\(id)' may only hold letters, digits, '-' and '_'")
            return nil
        }
        if seen[kind, default: []].contains(id) {
            diagnostics.report(s.value("id"), "\(kind) id '\(id)' is used twice")
            return nil
        }
        seen[kind, default: []].insert(id)
        return id
    }

    func declared(_ kind: String, _ id: String) -> Bool { seen[kind, default: []].contains(id) }
}
