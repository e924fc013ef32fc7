import Foundation
import Hummingbird
import NIOCore

/// The dashboard: its page and files at `/`, the live stream at `/api/events` and the
/// history at `/api/history/{id}`.
struct DashboardRoutes {
    let server: APIServer

    static let own: [(path: String, method: String)] = [
        ("/", "GET"), ("/dashboard.js", "GET"), ("/dashboard.css", "GET"), ("/api/events", "GET"),
        ("/api/history", "GET"), ("/api/history/:id", "GET"),
    ]

    /// The /api/site JSON plus each sink's status (the inverter links show there).
    static func eventJSON(_ snap: Snapshot, sinks: [SinkHealth]) -> JSONValue {
        guard case .object(var o) = APIRoutes.siteJSON(snap) else { return .null }
        o["sinks"] = .array(sinks.map(\.json))
        return .object(o)
    }

    func register(on router: Router<BasicRequestContext>) {
        let s = server
        router.getAndHead("/") { _, _ in DashboardRoutes.file(DashboardAssets.html, type: "text/html; charset=utf-8") }
        router.getAndHead("/dashboard.js") { _, _ in DashboardRoutes.file(DashboardAssets.script, type: "text/javascript; charset=utf-8") }
        router.getAndHead("/dashboard.css") { _, _ in DashboardRoutes.file(DashboardAssets.style, type: "text/css; charset=utf-8") }
        router.get("/api/events") { _, _ in
            // The newcomer starts from the current snapshot; the others are not sent it again.
            let first = s.access.snapshot.map { SiteEvents.event("site", data: DashboardRoutes.eventJSON($0, sinks: s.access.sinkHealth).render()) }
            let (id, stream) = s.events.subscribe(first: first)
            let body = ResponseBody { writer in
                defer { s.events.end(id) }
                for await chunk in stream { try await writer.write(chunk) }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
        }
        router.getAndHead("/api/history") { _, _ in APIResponse.json(.array(s.history.ids.map(JSONValue.string))) }
        router.getAndHead("/api/history/:id") { _, context in
            let raw = context.parameters.get("id") ?? ""
            let id = raw.removingPercentEncoding ?? raw
            guard let series = s.history.json(id) ?? s.history.json("bank:" + id) ?? s.history.json("pack:" + id) else {
                return APIResponse.error(.notFound, "no history for '\(id)' (ids: \(s.history.ids.joined(separator: ", ")))")
            }
            return APIResponse.json(series)
        }
    }

    static func file(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache",
                                        .contentSecurityPolicy: "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
