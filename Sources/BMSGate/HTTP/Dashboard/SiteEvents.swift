import Foundation
import NIOCore

/// Server-Sent Events for the dashboard (`/api/events`): every snapshot goes to every open
/// stream as `event: site` with the `/api/site` JSON (and the sinks' status). A slow client
/// keeps only the newest few events; a closed one is dropped at its next event.
public final class SiteEvents: Sendable {
    private struct State {
        var streams: [Int: AsyncStream<ByteBuffer>.Continuation] = [:]
        var next = 0
        var latest: ByteBuffer?
    }
    private let state = Locked(State())

    /// No subscribers yet.
    public init() {}

    /// Open streams.
    public var count: Int { state.value.streams.count }

    /// The bytes of one event.
    static func event(_ name: String, data: String) -> ByteBuffer {
        ByteBuffer(string: "event: \(name)\ndata: \(data)\n\n")
    }

    /// A new stream that starts with `first` (else the latest event sent); `end` must be
    /// called when done.
    func subscribe(first: ByteBuffer? = nil) -> (id: Int, stream: AsyncStream<ByteBuffer>) {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(4))
        let id = state.update { s -> Int in
            s.next += 1
            s.streams[s.next] = continuation
            continuation.yield(ByteBuffer(string: "retry: 2000\n\n"))
            if let start = first ?? s.latest { continuation.yield(start) }
            return s.next
        }
        return (id, stream)
    }

    func end(_ id: Int) {
        state.update { $0.streams.removeValue(forKey: id) }?.finish()
    }

    /// Sends `data` (one line of JSON) as an event of `name` to every stream.
    public func publish(_ name: String, data: String) {
        let buffer = Self.event(name, data: data)
        let all = state.update { s -> [AsyncStream<ByteBuffer>.Continuation] in
            s.latest = buffer
            return Array(s.streams.values)
        }
        for c in all { c.yield(buffer) }
    }

    /// Ends every stream (the server is stopping).
    public func finishAll() {
        let all = state.update { s -> [AsyncStream<ByteBuffer>.Continuation] in
            defer { s.streams.removeAll() }
            return Array(s.streams.values)
        }
        for c in all { c.finish() }
    }
}
