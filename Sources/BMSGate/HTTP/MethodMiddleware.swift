import Foundation
import Hummingbird

/// HTTP manners the router does not have by itself: HEAD answers like GET without a body,
/// a known path asked with a wrong method gets 405 with `Allow`, and only unknown paths
/// get 404.
struct MethodMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    /// Every route: its path pattern (segments, `:name` matches one) and method.
    let routes: [(pattern: [Substring], method: String)]

    init(routes: [(path: String, method: String)]) {
        self.routes = routes.map { ($0.path.split(separator: "/"), $0.method) }
    }

    /// The methods `path` is served with.
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        var out: [String] = []
        for route in routes where route.pattern.count == segments.count
            && zip(route.pattern, segments).allSatisfy({ $0.hasPrefix(":") || $0 == $1 }) && !out.contains(route.method) {
            out.append(route.method)
        }
        return out
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let allowed = methods(for: request.uri.path)
        if request.method == .head, allowed.contains("GET") {
            // Every GET route is also registered for HEAD (Router.getAndHead); drop the body here.
            let full = try await next(request, context)
            var answer = Response(status: full.status, headers: full.headers, body: ResponseBody())
            if let length = full.body.contentLength { answer.headers[.contentLength] = String(length) }
            return answer
        }
        if !allowed.isEmpty, !allowed.contains(request.method.rawValue) {
            let allow = (allowed + (allowed.contains("GET") ? ["HEAD"] : [])).joined(separator: ", ")
            var response = APIResponse.error(.methodNotAllowed, "\(request.method.rawValue) is not served here (allowed: \(allow))")
            response.headers[.allow] = allow
            return response
        }
        return try await next(request, context)
    }
}

extension Router where Context == BasicRequestContext {
    /// Registers `handler` for GET and HEAD on `path` (the middleware drops HEAD bodies).
    func getAndHead(_ path: RouterPath, use handler: @escaping @Sendable (Request, Context) async throws -> Response) {
        on(path, method: .get, use: handler)
        on(path, method: .head, use: handler)
    }
}
