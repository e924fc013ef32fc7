import Foundation
import Hummingbird

/// Serves the routes drivers describe (CommandRoutes): each request becomes a `command` on
/// the pack's driver (`{"op": ..., body fields..., query...}`), serialized with its bus.
/// Writing commands need the bearer token and a pack with `allow_writes: true`.
struct DriverRoutes {
    let server: APIServer

    func register(on router: Router<BasicRequestContext>) {
        let s = server
        for route in s.routes.routes {
            let method = HTTPRequest.Method(rawValue: route.method) ?? .get
            let path = route.path
            let methods: [HTTPRequest.Method] = method == .get ? [.get, .head] : [method]
            for m in methods {
                router.on(RouterPath("/api/packs/:id/" + path), method: m) { request, context in
                    await DriverRoutes.handle(method: route.method, path: path, pack: APIRoutes.packID(context), request: request, server: s)
                }
                if let only = route.alias {
                    router.on(RouterPath("/api/" + path), method: m) { request, _ in
                        await DriverRoutes.handle(method: route.method, path: path, pack: only, request: request, server: s)
                    }
                }
            }
        }
    }

    static func handle(method: String, path: String, pack: String, request: Request, server s: APIServer) async -> Response {
        guard let command = s.routes.command(pack: pack, method: method, path: path) else {
            return APIResponse.error(.notFound, "no pack '\(pack)' serves \(method) /api/packs/\(pack)/\(path)")
        }
        var fields: [String: Any] = [:]
        if method == "POST" {
            let text: String
            switch await APIRoutes.body(request, s) {
            case .success(let t): text = t
            case .failure(let box): return box.response
            }
            if !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
                    return APIResponse.error(.badRequest, "the body must be a JSON object")
                }
                fields = object
            }
        }
        for item in request.uri.queryParameters { fields[String(item.key)] = String(item.value) }
        if command.writes(fields: fields) {
            if let denied = APIRoutes.authorize(request, s) { return denied }
            if s.site.packs.first(where: { $0.id == pack })?.allowWrites != true {
                return APIResponse.error(.forbidden, "\(command.name) writes, and writes are off for pack '\(pack)': set allow_writes: true in its config")
            }
        }
        fields["op"] = command.name
        guard let data = try? JSONSerialization.data(withJSONObject: fields), let json = String(data: data, encoding: .utf8) else {
            return APIResponse.error(.badRequest, "the body cannot be passed on")
        }
        return await APIRoutes.run(s, pack: pack, request: json)
    }
}
