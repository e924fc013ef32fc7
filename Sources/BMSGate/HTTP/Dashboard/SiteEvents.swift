import Foundation
import NIOCore

/// Server-Sent Events for the dashboard (`/api/events`): every snapshot goes to every open
/// stream as `event: site` with the `/api/site` JSON (and the sinks' status). A slow client
/// keeps only the newest few events; a closed one is dropped at its next event.
public final class SiteEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var streams: [Int: AsyncStream<ByteBuffer>.Continuation] = [:]
    private var next = 0
    private var latest: ByteBuffer?

    /// No subscribers yet.
    public init() {}

    /// Open streams.
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return streams.count
    }

    /// The bytes of one event.
    static func event(_ name: String, data: String) -> ByteBuffer {
        ByteBuffer(string: "event: \(name)\ndata: \(data)\n\n")
    }

    /// A new stream that starts with `first` (else the latest event sent); `end` must be
    /// called when done.
    func subscribe(first: ByteBuffer? = nil) -> (id: Int, stream: AsyncStream<ByteBuffer>) {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(4))
        lock.lock()
        defer { lock.unlock() }
        next += 1
        streams[next] = continuation
        continuation.yield(ByteBuffer(string: "retry: 2000\n\n"))
        if let start = first ?? latest { continuation.yield(start) }
        return (next, stream)
    }

    func end(_ id: Int) {
        lock.lock()
        let c = streams.removeValue(forKey: id)
        lock.unlock()
        c?.finish()
    }

    /// Sends `data` (one line of JSON) as an event of `name` to every stream.
    public func publish(_ name: String, data: String) {
        let buffer = Self.event(name, data: data)
        lock.lock()
        latest = buffer
        let all = Array(streams.values)
        lock.unlock()
        for c in all { c.yield(buffer) }
    }

    /// Ends every stream (the server is stopping).
    public func finishAll() {
        lock.lock()
        let all = Array(streams.values)
        streams.removeAll()
        lock.unlock()
        for c in all { c.finish() }
    }
}
