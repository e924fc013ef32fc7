import Foundation
import Hummingbird

/// The LC30 plugin's API (the seed document), for packs whose driver is `lc30`: each route
/// becomes a `command` on the pack's driver (`{"op": ..., body fields..., query...}`),
/// serialized with the pack's bus. With one LC30 pack the routes live under `/api/bms`,
/// always under `/api/packs/{id}/bms`.
struct VendorRoutes {
    let server: APIServer

    /// One route: method, path below `/api/bms`, driver op, whether it writes.
    struct Route: Sendable {
        var method: HTTPRequest.Method
        var path: String
        var op: String
        var writes: Bool
        var summary: String
    }

    static let driver = "lc30"

    static let routes: [Route] = [
        Route(method: .get, path: "", op: "monitor", writes: false, summary: "Consolidated BMS data"),
        Route(method: .get, path: "diag", op: "diag", writes: false, summary: "I2C diagnostics and basic registers"),
        Route(method: .get, path: "advanced-config", op: "advanced_config", writes: false, summary: "Advanced configuration"),
        Route(method: .post, path: "advanced-config", op: "advanced_config_set", writes: true, summary: "Change the advanced configuration"),
        Route(method: .post, path: "calibration/voltage", op: "calibrate_voltage", writes: true, summary: "Voltage calibration from a reference"),
        Route(method: .post, path: "calibration/current", op: "calibrate_current", writes: true, summary: "Current calibration from a reference"),
        Route(method: .post, path: "calibration/reset", op: "calibration_reset", writes: true, summary: "Reset the calibration"),
        Route(method: .post, path: "register/read", op: "register_read", writes: false, summary: "Read a register (byte, word, block)"),
        Route(method: .post, path: "register/write", op: "register_write", writes: true, summary: "Write a register"),
        Route(method: .get, path: "register/profiles", op: "profiles", writes: false, summary: "Register profiles"),
        Route(method: .post, path: "register/profiles", op: "profile_add", writes: true, summary: "Add a custom profile"),
        Route(method: .post, path: "register/profiles/import", op: "profiles_import", writes: true, summary: "Import custom profiles"),
        Route(method: .post, path: "register/profile/apply", op: "profile_apply", writes: false, summary: "Apply a profile (write_mode needs the token)"),
        Route(method: .get, path: "studio/info", op: "studio_info", writes: false, summary: "Device information and security mode"),
        Route(method: .get, path: "studio/sbs", op: "studio_sbs", writes: false, summary: "All SBS registers and the cells"),
        Route(method: .post, path: "studio/mac", op: "studio_mac", writes: true, summary: "Send a MAC command"),
        Route(method: .get, path: "studio/mac_commands", op: "mac_commands", writes: false, summary: "MAC commands with their risk"),
        Route(method: .get, path: "studio/status", op: "studio_status", writes: false, summary: "Status flags by name"),
        Route(method: .get, path: "studio/cells", op: "studio_cells", writes: false, summary: "Cell voltages"),
        Route(method: .get, path: "studio/df_classes", op: "df_classes", writes: false, summary: "Data Flash classes"),
        Route(method: .get, path: "studio/df_search", op: "df_search", writes: false, summary: "Search Data Flash by name or address (q)"),
        Route(method: .post, path: "studio/df_read", op: "df_read", writes: false, summary: "Read a Data Flash class"),
        Route(method: .post, path: "studio/df_write", op: "df_write", writes: true, summary: "Write a Data Flash parameter"),
        Route(method: .post, path: "studio/df_raw", op: "df_raw", writes: false, summary: "Raw Data Flash block (0x4000-0x47FF)"),
        Route(method: .get, path: "studio/security", op: "security", writes: false, summary: "Security mode"),
        Route(method: .post, path: "studio/security", op: "security_set", writes: true, summary: "Seal, unseal, full access"),
    ]

    /// The packs the routes serve.
    static func packs(_ site: SiteConfig) -> [String] { site.packs.filter { $0.driver == driver }.map(\.id) }

    func register(on router: Router<BasicRequestContext>) {
        let s = server
        let packs = Self.packs(s.site)
        guard !packs.isEmpty else { return }
        for route in Self.routes {
            let suffix = route.path.isEmpty ? "" : "/" + route.path
            let handler: @Sendable (String, Request) async -> Response = { pack, request in
                await VendorRoutes.handle(route, pack: pack, request: request, server: s)
            }
            router.on(RouterPath("/api/packs/:id/bms" + suffix), method: route.method) { request, context in
                await handler(context.parameters.get("id") ?? "", request)
            }
            if packs.count == 1 {
                let only = packs[0]
                router.on(RouterPath("/api/bms" + suffix), method: route.method) { request, _ in await handler(only, request) }
            }
        }
    }

    static func handle(_ route: Route, pack: String, request: Request, server s: APIServer) async -> Response {
        guard packs(s.site).contains(pack) else { return APIResponse.error(.notFound, "no LC30 pack '\(pack)'") }
        var fields: [String: Any] = [:]
        if route.method == .post {
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
        let writes = route.writes || (route.op == "profile_apply" && fields["write_mode"] as? Bool == true)
        if writes, let denied = APIRoutes.authorize(request, s) { return denied }
        fields["op"] = route.op
        guard let data = try? JSONSerialization.data(withJSONObject: fields), let json = String(data: data, encoding: .utf8) else {
            return APIResponse.error(.badRequest, "the body cannot be passed on")
        }
        guard route.op == "diag" else { return await APIRoutes.run(s, pack: pack, request: json) }
        switch await APIRoutes.execute(s, pack: pack, request: json) {
        case .success(let answer): return diag(answer, pack: pack, server: s)
        case .failure(let failure): return APIResponse.error(APIResponse.status(of: failure), failure.message)
        }
    }

    /// Adds the bus view the seed's /diag shows: buses with their devices, the target bus.
    static func diag(_ answer: String, pack: String, server s: APIServer) -> Response {
        guard let config = s.site.packs.first(where: { $0.id == pack }), let bus = s.site.buses.first(where: { $0.id == config.bus }),
              var o = (try? JSONSerialization.jsonObject(with: Data(answer.utf8))) as? [String: Any] else { return APIResponse.json(answer) }
        let id: Any
        let path: String
        if case .i2c(let device, _) = bus.kind {
            path = device
            id = Int(device.split(separator: "-").last ?? "") ?? device
        } else {
            path = "sim:\(bus.id)"
            id = bus.id
        }
        o["buses"] = [["id": id, "path": path, "devices": o["devices"] ?? []]]
        o.removeValue(forKey: "devices")
        o["target_bus"] = id
        guard let data = try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]) else { return APIResponse.json(answer) }
        return APIResponse.json(String(decoding: data, as: UTF8.self))
    }
}
