import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1 channel with an `HTTPConnectionGuard` in front of the HTTP codec:
/// the guard sees raw bytes (to time a request's headers) and every connection before the
/// HTTP layer does (to admit or refuse it).
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let inner: HTTP1Channel
    let table: HTTPConnectionTable
    let headerTimeout: Duration
    let requestTimeout: Duration

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(
                HTTPConnectionGuard(table: table, headerTimeout: headerTimeout, requestTimeout: requestTimeout))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }

    /// The server builder for `APIServer`.
    static func builder(settings: HTTPSinkSettings, table: HTTPConnectionTable) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            let idle = TimeAmount.nanoseconds(Int64(settings.idleTimeout.milliseconds) * 1_000_000)
            return GuardedHTTP1Channel(
                inner: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: idle)),
                table: table, headerTimeout: settings.headerTimeout,
                requestTimeout: settings.commandTimeout + .seconds(20))
        }
    }
}
