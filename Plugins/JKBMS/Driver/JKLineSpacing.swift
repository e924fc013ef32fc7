import BMSDriverKit

/// The NW protocol wants at least 100 ms between packets on a line. Every JK instance on
/// a bus waits here before a request until 100 ms have passed since the last transaction
/// on that bus ended (instances of one bus share the entry, keyed by the bus id).
enum JKLineSpacing {
    /// The gap the document asks for.
    static let gapMs: UInt64 = 100
    private static let lock = PthreadLock()
    nonisolated(unsafe) private static var lastEnd: [String: UInt64] = [:]

    /// Sleeps until the line has been quiet for `gapMs`.
    static func waitForGap(_ link: Link) {
        let key = link.busID.isEmpty ? link.busDevice : link.busID
        let last = lock.withLock { lastEnd[key] }
        guard let last else { return }
        let now = link.nowMs()
        if now &- last < gapMs { link.sleep(ms: UInt32(gapMs - (now &- last))) }
    }

    /// Marks the end of a transaction (answered or not).
    static func ended(_ link: Link) {
        let key = link.busID.isEmpty ? link.busDevice : link.busID
        let now = link.nowMs()
        lock.withLock { lastEnd[key] = now }
    }
}
