import Foundation
import Hummingbird
import NIOCore

/// The gateway's own routes.
struct APIRoutes {
    let server: APIServer

    /// The gateway's own routes (path, method), for the method middleware.
    static let own: [(path: String, method: String)] = [
        ("/healthz", "GET"), ("/api/site", "GET"), ("/api/packs/:id", "GET"), ("/metrics", "GET"),
        ("/openapi.json", "GET"), ("/api/packs/:id/command", "POST"), ("/api/sinks", "GET"),
    ] + DashboardRoutes.own + BankLimitRoutes.own

    /// Every route this server serves, the drivers' included.
    static func all(_ s: APIServer) -> [(path: String, method: String)] {
        own + s.routes.routes.flatMap { r in
            [("/api/packs/:id/" + r.path, r.method)] + (r.alias != nil ? [("/api/" + r.path, r.method)] : [])
        }
    }

    func register(on router: Router<BasicRequestContext>) {
        let s = server
        router.add(middleware: MethodMiddleware(routes: Self.all(s)))
        router.getAndHead("/healthz") { _, _ in APIRoutes.health(s) }
        router.getAndHead("/api/site") { _, _ in
            guard let snap = s.access.snapshot else { return APIResponse.error(.serviceUnavailable, "no data yet") }
            return APIResponse.json(APIRoutes.siteJSON(snap))
        }
        router.getAndHead("/api/packs/:id") { _, context in
            let id = APIRoutes.packID(context)
            guard let snap = s.access.snapshot else { return APIResponse.error(.serviceUnavailable, "no data yet") }
            guard let pack = snap.packs.first(where: { $0.id == id }) else {
                return APIResponse.error(.notFound, "no pack '\(id)' (packs: \(snap.packs.map(\.id).joined(separator: ", ")))")
            }
            return APIResponse.json(pack.json)
        }
        router.getAndHead("/metrics") { _, _ in
            guard let snap = s.access.snapshot else { return APIResponse.error(.serviceUnavailable, "no data yet") }
            return APIResponse.text(SiteMetrics.text(snap, sinks: s.access.sinkHealth), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.getAndHead("/api/sinks") { _, _ in APIResponse.json(.array(s.access.sinkHealth.map(\.json))) }
        router.getAndHead("/openapi.json") { _, _ in APIResponse.json(OpenAPIDocument.render(site: s.site, routes: s.routes)) }
        router.post("/api/packs/:id/command") { request, context in
            let id = APIRoutes.packID(context)
            if let denied = APIRoutes.authorize(request, s) { return denied }
            let body: String
            switch await APIRoutes.body(request, s) {
            case .success(let b): body = b
            case .failure(let box): return box.response
            }
            guard (try? JSONSerialization.jsonObject(with: Data(body.utf8))) is [String: Any] else {
                return APIResponse.error(.badRequest, "the body must be a JSON object (the driver's command)")
            }
            return await APIRoutes.run(s, pack: id, request: body)
        }
        DriverRoutes(server: s).register(on: router)
        DashboardRoutes(server: s).register(on: router)
        BankLimitRoutes(server: s).register(on: router)
    }

    /// The `id` path parameter, percent-escapes decoded (`/api/packs/p%201` is pack "p 1").
    static func packID(_ context: BasicRequestContext) -> String {
        let raw = context.parameters.get("id") ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    static func health(_ s: APIServer) -> Response {
        var o = JSONObject()
        o["ok"] = .bool(true)
        o["site"] = .string(s.site.site)
        o["version"] = .string(GatewayVersion.current)
        if let snap = s.access.snapshot {
            o["packs"] = .number(Double(snap.packs.count))
            o["packs_online"] = .number(Double(snap.packs.filter(\.online).count))
            o["time"] = .string(ISOTime.format(snap.time))
        }
        let sinks = s.access.sinkHealth
        o["sinks"] = .array(sinks.map(\.json))
        // Inverter links that are open but take nothing (a stalled CAN adapter, an RS485
        // line nobody drains): the inverter hears nothing new from the battery.
        o["stalled_links"] = .array(sinks.filter { if case .object(let status)? = $0.status { status["stalled"] == .bool(true) } else { false } }.map { .string($0.name) })
        return APIResponse.json(.object(o))
    }

    static func siteJSON(_ snap: Snapshot) -> JSONValue {
        var o = JSONObject()
        o["site"] = .string(snap.site)
        o["time"] = .string(ISOTime.format(snap.time))
        o["packs"] = .array(snap.packs.map(\.json))
        o["banks"] = .array(snap.banks.map(\.json))
        return .object(o)
    }

    /// nil when the request may write; else the 401/403 response.
    static func authorize(_ request: Request, _ s: APIServer) -> Response? {
        guard let token = s.token else {
            return APIResponse.error(.forbidden, "writes are disabled: configure token_env or token_file on the http sink")
        }
        let given = request.headers[.authorization] ?? ""
        guard given.hasPrefix("Bearer "), constantTimeEqual(String(given.dropFirst(7)), token) else {
            return APIResponse.error(.unauthorized, "this route writes: send Authorization: Bearer <token>")
        }
        return nil
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The request body as text, limited to the configured size.
    static func body(_ request: Request, _ s: APIServer) async -> Result<String, ResponseBox> {
        do {
            let buffer = try await request.body.collect(upTo: s.settings.maxBody)
            return .success(String(buffer: buffer))
        } catch is NIOTooManyBytesError {
            return .failure(ResponseBox(APIResponse.error(.contentTooLarge, "the body is larger than \(s.settings.maxBody) bytes")))
        } catch {
            // The HTTP parser refused the body (a bad chunk size, a body cut short).
            return .failure(ResponseBox(APIResponse.error(.badRequest, "malformed request body: \(error)")))
        }
    }

    /// Runs a vendor command on the pack's bus (no thread parked per request); the driver's
    /// JSON answer or its failure.
    static func execute(_ s: APIServer, pack: String, request: String) async -> Result<String, PollFailure> {
        await s.access.command(pack: pack, request: request, timeout: s.settings.commandTimeout)
    }

    /// Runs a vendor command off the event loop and answers with its JSON (or error).
    static func run(_ s: APIServer, pack: String, request: String) async -> Response {
        guard s.site.packs.contains(where: { $0.id == pack }) else {
            return APIResponse.error(.notFound, "no pack '\(pack)'")
        }
        switch await execute(s, pack: pack, request: request) {
        case .success(let answer): return APIResponse.json(answer)
        case .failure(let failure): return APIResponse.error(APIResponse.status(of: failure), failure.message)
        }
    }
}

/// A response as an Error (for Result).
struct ResponseBox: Error, @unchecked Sendable {
    let response: Response
    init(_ r: Response) { response = r }
}
