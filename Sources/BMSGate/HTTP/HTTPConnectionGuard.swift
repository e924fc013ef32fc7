import Foundation
import NIOCore

/// First handler of every HTTP connection, on raw bytes: admits the connection under the
/// server's `ConnectionPolicy` (a refused one gets a 503 and is closed), closes it with a
/// 408 when a request's headers have not arrived `headerTimeout` after its first byte, and
/// when a request is neither complete nor answered within `requestTimeout` of its headers
/// (a body trickled byte by byte). Idle connections between requests are closed by the
/// HTTP layer's idle timeout.
final class HTTPConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    enum Phase {
        /// Not yet admitted.
        case new
        /// Between requests.
        case idle
        /// A request's head is arriving.
        case head
        /// Head complete, body arriving or the handler working.
        case request
        /// Refused or timed out: inbound bytes are dropped.
        case closing
    }

    let table: HTTPConnectionTable
    let headerTimeout: TimeAmount
    let requestTimeout: TimeAmount
    private var id: Int?
    private var phase = Phase.new
    /// The last bytes of the head so far, to find its end (CR LF CR LF) across reads.
    private var tail: UInt32 = 0
    private var timer: Scheduled<Void>?

    init(table: HTTPConnectionTable, headerTimeout: Duration, requestTimeout: Duration) {
        self.table = table
        self.headerTimeout = .nanoseconds(Int64(headerTimeout.milliseconds) * 1_000_000)
        self.requestTimeout = .nanoseconds(Int64(requestTimeout.milliseconds) * 1_000_000)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if let id { table.remove(id) }
        id = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard phase != .closing else { return }
        let bytes = unwrapInboundIn(data)
        if phase == .idle {
            phase = .head
            tail = 0
            if let id { table.mark(id, busy: true) }
            arm(context, after: headerTimeout, status: "408 Request Timeout", header: true)
        }
        if phase == .head, headEnds(in: bytes) {
            phase = .request
            arm(context, after: requestTimeout, status: "408 Request Timeout", header: false)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if phase == .request || phase == .head {
            // The answer is on its way: the connection is idle again once it is written.
            phase = .idle
            timer?.cancel()
            timer = nil
            if let id { table.mark(id, busy: false) }
        }
        context.write(data, promise: promise)
    }

    private func admit(_ context: ChannelHandlerContext) {
        guard phase == .new else { return }
        switch table.admit(context.channel) {
        case .success(let id):
            self.id = id
            phase = .idle
        case .failure:
            refuse(context, status: "503 Service Unavailable", error: "too many connections: try again later")
        }
    }

    /// Whether the head ends (CR LF CR LF) within `bytes`, following on from earlier reads.
    private func headEnds(in bytes: ByteBuffer) -> Bool {
        for byte in bytes.readableBytesView {
            tail = tail << 8 | UInt32(byte)
            if tail == 0x0D0A_0D0A { return true }
        }
        return false
    }

    private func arm(_ context: ChannelHandlerContext, after delay: TimeAmount, status: String, header: Bool) {
        timer?.cancel()
        let loop = context.eventLoop.assumeIsolated()
        timer = loop.scheduleTask(in: delay) { [self] in
            timer = nil
            table.countTimeout(header: header)
            refuse(context, status: status, error: header ? "the request headers did not arrive in time" : "the request did not complete in time")
        }
    }

    /// Answers `status` with a JSON error on the raw connection and closes it.
    private func refuse(_ context: ChannelHandlerContext, status: String, error: String) {
        phase = .closing
        let body = #"{"ok":false,"error":"\#(error)"}"#
        let text = "HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        let buffer = context.channel.allocator.buffer(string: text)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(buffer))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
