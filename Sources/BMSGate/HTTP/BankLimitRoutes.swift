import Foundation
import Hummingbird
import Logging

/// `/api/banks/{id}/limits`: a remote limit that can only lower what the bank's controller
/// says, for a time (home energy managers, tariff schedulers). POST sets it (token), DELETE
/// clears it (token), GET shows it. Each change is logged.
struct BankLimitRoutes {
    let server: APIServer

    static let own: [(path: String, method: String)] = [
        ("/api/banks/:id/limits", "GET"), ("/api/banks/:id/limits", "POST"), ("/api/banks/:id/limits", "DELETE"),
    ]

    func register(on router: Router<BasicRequestContext>) {
        let s = server
        router.getAndHead("/api/banks/:id/limits") { _, context in
            let id = APIRoutes.packID(context)
            guard let site = s.access.site, s.site.banks.contains(where: { $0.id == id }) else { return Self.unknown(id, s) }
            return APIResponse.json(Self.json(site.remoteLimit(bank: id), bank: id))
        }
        router.post("/api/banks/:id/limits") { request, context in
            let id = APIRoutes.packID(context)
            if let denied = APIRoutes.authorize(request, s) { return denied }
            guard let site = s.access.site, s.site.banks.contains(where: { $0.id == id }) else { return Self.unknown(id, s) }
            let body: String
            switch await APIRoutes.body(request, s) {
            case .success(let b): body = b
            case .failure(let box): return box.response
            }
            switch Self.parse(body, source: "http") {
            case .failure(let error): return APIResponse.error(.badRequest, error.description)
            case .success(let limit):
                _ = site.setRemoteLimit(bank: id, limit)
                s.logger.notice("bank \(id): remote limit set over HTTP: \(Self.describe(limit))")
                return APIResponse.json(Self.json(limit, bank: id))
            }
        }
        router.delete("/api/banks/:id/limits") { request, context in
            let id = APIRoutes.packID(context)
            if let denied = APIRoutes.authorize(request, s) { return denied }
            guard let site = s.access.site, s.site.banks.contains(where: { $0.id == id }) else { return Self.unknown(id, s) }
            _ = site.setRemoteLimit(bank: id, nil)
            s.logger.notice("bank \(id): remote limit cleared over HTTP")
            return APIResponse.json(Self.json(nil, bank: id))
        }
    }

    static func unknown(_ id: String, _ s: APIServer) -> Response {
        APIResponse.error(.notFound, "no bank '\(id)' (banks: \(s.site.banks.map(\.id).joined(separator: ", ")))")
    }

    /// A remote limit from a JSON body: `charge_current`, `discharge_current`, `charge_voltage`
    /// (at least one; numbers >= 0) and `ttl` (seconds, or a duration like "15m"; at most a day).
    static func parse(_ body: String, source: String, nowMs: UInt64 = MonotonicClock.nowMs()) -> Result<RemoteLimit, RemoteLimitError> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            return .failure(RemoteLimitError("the body must be a JSON object: {\"charge_current\": 20, \"ttl\": \"15m\"}"))
        }
        let known: Set<String> = ["charge_current", "discharge_current", "charge_voltage", "ttl"]
        if let extra = object.keys.sorted().first(where: { !known.contains($0) }) {
            return .failure(RemoteLimitError("unknown key '\(extra)' (known: charge_current, discharge_current, charge_voltage, ttl)"))
        }
        var values: [String: Double] = [:]
        for key in ["charge_current", "discharge_current", "charge_voltage"] {
            guard let raw = object[key] else { continue }
            guard let n = raw as? NSNumber, !(raw is Bool), n.doubleValue.isFinite, n.doubleValue >= 0, n.doubleValue <= 100_000 else {
                return .failure(RemoteLimitError("'\(key)' must be a number, 0 or more"))
            }
            values[key] = n.doubleValue
        }
        guard !values.isEmpty else {
            return .failure(RemoteLimitError("give at least one of charge_current, discharge_current, charge_voltage"))
        }
        guard let rawTTL = object["ttl"] else { return .failure(RemoteLimitError("'ttl' is required: how long the limit holds (e.g. 900 or \"15m\", at most 24h)")) }
        var ttl: Duration?
        if let n = rawTTL as? NSNumber, !(rawTTL is Bool) { ttl = .milliseconds(Int64(n.doubleValue * 1000)) }
        if let text = rawTTL as? String { ttl = DurationParsing.parse(text) }
        guard let ttl, ttl > .zero, ttl <= RemoteLimit.maximumTTL else {
            return .failure(RemoteLimitError("'ttl' must be a duration above 0 and at most 24h (seconds or e.g. \"15m\")"))
        }
        return .success(RemoteLimit(chargeCurrent: values["charge_current"], dischargeCurrent: values["discharge_current"],
                                    chargeVoltage: values["charge_voltage"], expiresMs: nowMs + UInt64(ttl.milliseconds), source: source))
    }

    static func describe(_ l: RemoteLimit) -> String {
        var parts: [String] = []
        if let c = l.chargeCurrent { parts.append("charge <= \(JSONValue.numberText(c)) A") }
        if let d = l.dischargeCurrent { parts.append("discharge <= \(JSONValue.numberText(d)) A") }
        if let v = l.chargeVoltage { parts.append("charge voltage <= \(JSONValue.numberText(v)) V") }
        return parts.joined(separator: ", ") + " for \(l.expiresMs.saturatingAge(since: MonotonicClock.nowMs()) / 1000) s"
    }

    static func json(_ l: RemoteLimit?, bank: String) -> JSONValue {
        var o = JSONObject()
        o["bank"] = .string(bank)
        guard let l else {
            o["active"] = .bool(false)
            return .object(o)
        }
        o["active"] = .bool(true)
        o["charge_current"] = l.chargeCurrent.map(JSONValue.number)
        o["discharge_current"] = l.dischargeCurrent.map(JSONValue.number)
        o["charge_voltage"] = l.chargeVoltage.map(JSONValue.number)
        o["expires_in"] = .number(Double(l.expiresMs.saturatingAge(since: MonotonicClock.nowMs()) / 1000))
        o["source"] = .string(l.source)
        return .object(o)
    }
}

/// Why a remote limit was refused.
struct RemoteLimitError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
