extension YAMLSection {
    /// The connection keys shared by listening sinks: `max_connections`, `max_per_address`,
    /// `clients:` and `allow:` (addresses or CIDR networks), checked at FILE:LINE:COL.
    /// `perAddress` gives the default `max_per_address` for a `max_connections`.
    func connectionPolicy(sink: String, defaultMax: Int, perAddress defaultPerAddress: (Int) -> Int = ConnectionPolicy.defaultPerAddress) -> ConnectionPolicy {
        let max = int("max_connections", in: 1...4096) ?? defaultMax
        let perAddress = int("max_per_address", in: 1...4096) ?? defaultPerAddress(max)
        var policy = ConnectionPolicy(maxConnections: max, maxPerAddress: min(perAddress, max))
        policy.clients = addressList("clients", sink: sink)
        policy.allow = addressList("allow", sink: sink)
        if !policy.clients.isEmpty, policy.clients.count >= max {
            diagnostics.report(value("clients"), "the \(sink) sink names \(policy.clients.count) clients but allows \(max) connections: raise max_connections so others fit too")
        }
        return policy
    }

    private func addressList(_ key: String, sink: String) -> [AddressPattern] {
        var out: [AddressPattern] = []
        if let v = value(key), v.string != nil {
            diagnostics.report(v, "'\(key)' of the \(sink) sink must be a list of addresses, like [192.168.1.20, 10.0.0.0/24]")
            return []
        }
        for (text, node) in stringList(key) ?? [] {
            guard let pattern = AddressPattern(text) else {
                diagnostics.report(node, "'\(text)' in '\(key)' of the \(sink) sink is not an IP address or network (192.168.1.20, 192.168.1.0/24, fd00::/8)")
                continue
            }
            out.append(pattern)
        }
        return out
    }
}

extension ConnectionPolicy {
    /// A quarter of the slots, at least 2: one address can never take the whole server.
    public static func defaultPerAddress(_ maxConnections: Int) -> Int { Swift.max(2, maxConnections / 4) }
}
