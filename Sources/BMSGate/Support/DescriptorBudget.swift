import Foundation

/// Open files the gateway may need, against what the process may open. Every listening sink
/// caps its connections (`max_connections`), so the sum of the caps plus a reserve for
/// buses, sinks, plugins, logs and the runtime must fit in the open-file limit: then a
/// flood on one listener can never starve another listener, a bus or a sink of descriptors.
public enum DescriptorBudget {
    /// Descriptors kept for everything that is not a client connection: the runtime and its
    /// event loops, loaded plugins, logs, listening sockets.
    public static let baseReserve = 64

    /// Descriptors the site may hold at most: listeners' connection caps plus the reserve
    /// (each bus and sink counted twice: a device or socket and a wake-up pipe).
    public static func needed(buses: Int, sinks: [any SinkSettings]) -> Int {
        baseReserve + 2 * buses + 2 * sinks.count + sinks.compactMap(\.maxConnections).reduce(0, +)
    }

    /// The process's open-file limit (soft, hard).
    public static func limit() -> (soft: Int, hard: Int) {
        var r = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &r) == 0 else { return (1024, 1024) }
        func clamp(_ v: rlim_t) -> Int { v > rlim_t(Int32.max) ? Int(Int32.max) : Int(v) }  // RLIM_INFINITY is all ones
        return (clamp(r.rlim_cur), clamp(r.rlim_max))
    }

    /// Raises the soft open-file limit to what the site needs (at most the hard limit;
    /// systemd and most shells start processes at 1024). Returns the soft limit in force.
    @discardableResult
    public static func raise(toAtLeast needed: Int) -> Int {
        let (soft, hard) = limit()
        guard soft < needed else { return soft }
        var r = rlimit(rlim_cur: rlim_t(min(hard, max(needed, 4096))), rlim_max: rlim_t(hard))
        if r.rlim_cur < rlim_t(soft) { r.rlim_cur = rlim_t(soft) }
        return setrlimit(Int32(RLIMIT_NOFILE.rawValue), &r) == 0 ? Int(r.rlim_cur) : soft
    }

    /// The problem to report when the site's connection caps cannot fit under `hardLimit`.
    public static func problem(buses: Int, sinks: [any SinkSettings], hardLimit: Int = limit().hard) -> String? {
        let need = needed(buses: buses, sinks: sinks)
        guard need > hardLimit else { return nil }
        let caps = sinks.compactMap(\.maxConnections).reduce(0, +)
        return "the sinks may hold \(caps) connections in all, which with the gateway's own \(need - caps) files needs \(need) open files, but this process may open only \(hardLimit): lower max_connections, or raise the limit (LimitNOFILE= in the service, ulimit -n)"
    }
}
