import Foundation
import NIOCore

/// Counters of the HTTP server's connections, for /metrics and /healthz.
public struct HTTPConnectionStats: Sendable, Equatable {
    /// Open connections now.
    public var open = 0
    /// Connections accepted so far.
    public var accepted = 0
    /// Connections closed to make room (max_connections or max_per_address reached).
    public var evicted = 0
    /// Connections refused (not in `allow:`, or full with no one to displace).
    public var refused = 0
    /// Connections closed because a request's headers did not arrive in time (408).
    public var headerTimeouts = 0
    /// Connections closed because a request was not complete and answered in time.
    public var requestTimeouts = 0
}

/// The HTTP server's open connections under its `ConnectionPolicy`, shared by the event
/// loops (every connection's guard registers here).
final class HTTPConnectionTable: @unchecked Sendable {
    let policy: ConnectionPolicy
    private let lock = NSLock()
    private var open: [Int: Entry] = [:]
    private var nextId = 0
    private var counters = HTTPConnectionStats()

    struct Entry {
        let channel: any Channel
        let peer: PeerAddress?
        let named: Bool
        var busy = false
        var used = false
        var lastActivity: UInt64
    }

    init(policy: ConnectionPolicy) { self.policy = policy }

    var stats: HTTPConnectionStats { lock.withLock { counters } }

    /// Registers `channel`; nil when the policy refuses it (with the reason). Connections it
    /// displaces are closed.
    func admit(_ channel: any Channel) -> Result<Int, Refusal> {
        let peer = channel.remoteAddress.flatMap { $0.ipAddress }.flatMap(PeerAddress.init)
        let outcome: Result<(Int, [any Channel]), Refusal> = lock.withLock {
            let held = open.map { id, e in
                ConnectionPolicy.Open(id: id, peer: e.peer, named: e.named, busy: e.busy, used: e.used, lastActivity: e.lastActivity)
            }
            switch policy.decide(peer: peer, open: held) {
            case .refuse(let reason):
                counters.refused += 1
                return .failure(Refusal(reason: reason))
            case .admit(let evicting):
                let victims = evicting.compactMap { open.removeValue(forKey: $0)?.channel }
                counters.evicted += victims.count
                nextId += 1
                open[nextId] = Entry(channel: channel, peer: peer, named: policy.isNamed(peer), lastActivity: MonotonicClock.nowMs())
                counters.accepted += 1
                counters.open = open.count
                return .success((nextId, victims))
            }
        }
        switch outcome {
        case .failure(let refusal): return .failure(refusal)
        case .success(let (id, victims)):
            for v in victims { v.close(promise: nil) }
            return .success(id)
        }
    }

    /// A request began (`busy`) or was answered.
    func mark(_ id: Int, busy: Bool) {
        lock.withLock {
            open[id]?.busy = busy
            open[id]?.used = true
            open[id]?.lastActivity = MonotonicClock.nowMs()
        }
    }

    /// Counts a timeout that closed a connection.
    func countTimeout(header: Bool) {
        lock.withLock { if header { counters.headerTimeouts += 1 } else { counters.requestTimeouts += 1 } }
    }

    /// The connection closed.
    func remove(_ id: Int) {
        lock.withLock {
            open[id] = nil
            counters.open = open.count
        }
    }

    struct Refusal: Error { var reason: String }
}
