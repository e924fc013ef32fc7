/// The OpenAPI 3 description of every route the API serves for a site.
enum OpenAPIDocument {
    static func render(site: SiteConfig, routes: CommandRoutes) -> JSONValue {
        var paths = JSONObject()
        func op(_ summary: String, writes: Bool, parameters: [String] = [], command: DriverCommand? = nil) -> JSONValue {
            var o = JSONObject()
            o["summary"] = .string(summary)
            if let command {
                o["operationId"] = .string(command.name)
                if let schema = command.requestSchema.flatMap(JSONValue.parse) {
                    o["requestBody"] = .object(obj(["content": .object(obj(["application/json": .object(obj(["schema": schema]))]))]))
                }
            }
            if writes { o["security"] = .array([.object(obj(["bearer": .array([])]))]) }
            if !parameters.isEmpty {
                o["parameters"] = .array(parameters.map { name in
                    .object(obj(["name": .string(name), "in": .string(name == "id" ? "path" : "query"), "required": .bool(true),
                                 "schema": .object(obj(["type": .string("string")]))]))
                })
            }
            var responses = JSONObject()
            if let schema = command?.answerSchema.flatMap(JSONValue.parse) {
                responses["200"] = .object(obj(["description": .string("the driver's JSON answer"),
                                                "content": .object(obj(["application/json": .object(obj(["schema": schema]))]))]))
            } else {
                responses["200"] = .object(obj(["description": .string("JSON (text for /metrics)")]))
            }
            responses["400"] = .object(obj(["description": .string("{ok: false, error}")]))
            if writes {
                responses["401"] = .object(obj(["description": .string("missing or wrong bearer token")]))
                responses["403"] = .object(obj(["description": .string("writes disabled, advanced mode off or writes not allowed for the pack")]))
            }
            o["responses"] = .object(responses)
            return .object(o)
        }
        func add(_ path: String, _ method: String, _ value: JSONValue) {
            var entry: JSONObject
            if case .object(let e) = paths[path] ?? .object(JSONObject()) { entry = e } else { entry = JSONObject() }
            entry[method] = value
            paths[path] = .object(entry)
        }
        add("/healthz", "get", op("Liveness and how many packs have fresh data", writes: false))
        add("/api/site", "get", op("Every pack (Reading JSON) and bank", writes: false))
        add("/api/packs/{id}", "get", op("One pack", writes: false, parameters: ["id"]))
        add("/api/packs/{id}/command", "post", op("A vendor command on the pack's driver (JSON body)", writes: true, parameters: ["id"]))
        add("/metrics", "get", op("Prometheus text: packs, banks, the gateway's counters", writes: false))
        add("/api/sinks", "get", op("Each sink: dropped snapshots, its counters and status (the can sink: the inverter it hears)", writes: false))
        add("/openapi.json", "get", op("This document", writes: false))
        add("/api/banks/{id}/limits", "get", op("The bank's remote limit, if one is in force", writes: false, parameters: ["id"]))
        add("/api/banks/{id}/limits", "post", op("A remote limit: {charge_current, discharge_current, charge_voltage, ttl}; it can only lower the bank's limits and expires after ttl (at most 24h)", writes: true, parameters: ["id"]))
        add("/api/banks/{id}/limits", "delete", op("Clears the bank's remote limit", writes: true, parameters: ["id"]))
        add("/", "get", op("The dashboard (HTML; its script and style at /dashboard.js and /dashboard.css)", writes: false))
        add("/api/events", "get", op("Server-Sent Events: `event: site` with the /api/site JSON (plus `sinks`) at every snapshot", writes: false))
        add("/api/history", "get", op("The ids with a 24-hour history (bank:ID, pack:ID)", writes: false))
        add("/api/history/{id}", "get", op("One history: a point a minute for 24 hours (bank: SoC, voltage, current, power, limits; pack: SoC, voltage, current, cell min/max)", writes: false, parameters: ["id"]))
        for route in routes.routes {
            let c = route.representative
            let method = route.method.lowercased()
            let writes = c.writes || c.writesWhen != nil
            add("/api/packs/{id}/" + route.path, method, op(c.summary, writes: writes, parameters: ["id"] + c.query, command: c))
            if route.alias != nil { add("/api/" + route.path, method, op(c.summary, writes: writes, parameters: c.query, command: c)) }
        }
        var info = JSONObject()
        info["title"] = .string("bmsgate API (site \(site.site))")
        info["version"] = .string(GatewayVersion.current)
        var schemes = JSONObject()
        schemes["bearer"] = .object(obj(["type": .string("http"), "scheme": .string("bearer")]))
        var doc = JSONObject()
        doc["openapi"] = .string("3.0.3")
        doc["info"] = .object(info)
        doc["paths"] = .object(paths)
        doc["components"] = .object(obj(["securitySchemes": .object(schemes)]))
        return .object(doc)
    }

    static func obj(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONObject {
        var o = JSONObject()
        for (k, v) in pairs { o[k] = v }
        return o
    }
}
