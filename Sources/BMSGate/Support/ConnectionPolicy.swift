/// Who may hold a connection to a listening sink (Modbus-TCP, HTTP) and who makes room when
/// it is full. The site names its inverters and controllers in `clients:`: they are never
/// displaced. With an `allow:` list, other addresses are refused outright. No address holds
/// more than `maxPerAddress` connections, so one client churning connections only ever
/// displaces its own.
public struct ConnectionPolicy: Sendable, Equatable {
    /// Open connections at most.
    public var maxConnections: Int
    /// Open connections from one address at most; a new one displaces that address's idlest.
    public var maxPerAddress: Int
    /// Addresses that always get a slot and are never displaced.
    public var clients: [AddressPattern] = []
    /// When not empty, the only addresses (besides `clients`) that may connect.
    public var allow: [AddressPattern] = []

    /// A policy with no named clients and no allow list.
    public init(maxConnections: Int, maxPerAddress: Int) {
        self.maxConnections = maxConnections
        self.maxPerAddress = maxPerAddress
    }

    /// What a server knows of one open connection.
    public struct Open: Sendable {
        /// The server's handle for it.
        public var id: Int
        /// The client's address (nil: not an IP socket).
        public var peer: PeerAddress?
        /// Matched `clients:` when it connected.
        public var named: Bool
        /// A request is being answered now (never displaced mid-request).
        public var busy: Bool
        /// Has sent at least one request.
        public var used: Bool
        /// Monotonic time of its last request (or of its connect), ms.
        public var lastActivity: UInt64

        /// Describes one connection.
        public init(id: Int, peer: PeerAddress?, named: Bool, busy: Bool = false, used: Bool, lastActivity: UInt64) {
            self.id = id
            self.peer = peer
            self.named = named
            self.busy = busy
            self.used = used
            self.lastActivity = lastActivity
        }
    }

    /// The outcome for a new connection.
    public enum Decision: Sendable, Equatable {
        /// Take it, after closing these connections (by id).
        case admit(evicting: [Int])
        /// Close it at once, for this reason (for the log).
        case refuse(String)
    }

    /// Whether `peer` is one of the site's named clients.
    public func isNamed(_ peer: PeerAddress?) -> Bool {
        guard let peer else { return false }
        return clients.contains { $0.matches(peer) }
    }

    /// Decides on a connection from `peer` while `open` are held.
    public func decide(peer: PeerAddress?, open: [Open]) -> Decision {
        let named = isNamed(peer)
        if !allow.isEmpty, !named, !(peer.map { p in allow.contains { $0.matches(p) } } ?? false) {
            return .refuse("\(peer?.description ?? "?") is not in the allow list")
        }
        var evicting: [Int] = []
        if let peer {
            let same = open.filter { $0.peer == peer }
            if same.count >= maxPerAddress {
                guard let victim = Self.idlest(same) else {
                    return .refuse("\(peer) already has \(same.count) connections, all busy")
                }
                evicting.append(victim.id)
            }
        }
        let remaining = open.filter { !evicting.contains($0.id) }
        if remaining.count >= maxConnections {
            guard let victim = Self.idlest(remaining.filter { !$0.named }) else {
                return .refuse("\(maxConnections) connections open, none can make room")
            }
            evicting.append(victim.id)
        }
        return .admit(evicting: evicting)
    }

    /// The connection to displace first: never used, then idle the longest; never a busy one.
    static func idlest(_ candidates: [Open]) -> Open? {
        candidates.filter { !$0.busy }.min { a, b in
            (a.used ? 1 : 0, a.lastActivity) < (b.used ? 1 : 0, b.lastActivity)
        }
    }
}
