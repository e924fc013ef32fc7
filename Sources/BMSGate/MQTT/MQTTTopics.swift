/// The topics of one site:
/// - `<prefix>/<site>/availability`: the gateway, `online`/`offline` (the last will);
/// - `<prefix>/<site>/<id>/state`: a pack's Reading JSON or a bank's JSON;
/// - `<prefix>/<site>/<id>/availability`: `online` while that pack/bank has fresh data;
/// - `<prefix>/<site>/<bank>/limits/set`: remote limits for a bank (subscribed);
/// - `<discovery>/<component>/bmsgate_<site>_<id>/<object>/config`: Home Assistant discovery.
public struct MQTTTopics: Sendable {
    /// `<prefix>/<site>` (just `<site>` with an empty prefix).
    public let base: String
    public let site: String
    public let discoveryPrefix: String

    /// Topics for `site` under `prefix`.
    public init(prefix: String, site: String, discoveryPrefix: String) {
        base = prefix.isEmpty ? site : "\(prefix)/\(site)"
        self.site = site
        self.discoveryPrefix = discoveryPrefix
    }

    /// The gateway's availability (last will `offline`).
    public var availability: String { "\(base)/availability" }
    /// State of a pack or bank.
    public func state(_ id: String) -> String { "\(base)/\(id)/state" }
    /// Availability of a pack or bank (fresh data or not).
    public func availability(_ id: String) -> String { "\(base)/\(id)/availability" }
    /// Where a bank takes remote limits (JSON like `POST /api/banks/{id}/limits`; empty or
    /// `{}` clears).
    public func remoteLimits(_ bank: String) -> String { "\(base)/\(bank)/limits/set" }
    /// Home Assistant's birth message topic: discovery is sent again when it says `online`.
    public var homeAssistantStatus: String { "\(discoveryPrefix)/status" }
    /// Device identifier (and discovery node id) of a pack or bank.
    public func deviceId(_ id: String) -> String { "bmsgate_\(HomeAssistantSensors.slug(site))_\(HomeAssistantSensors.slug(id))" }
    /// Discovery config topic of one sensor.
    public func discovery(_ sensor: HomeAssistantSensor, of id: String) -> String {
        "\(discoveryPrefix)/\(sensor.component)/\(deviceId(id))/\(sensor.objectId)/config"
    }
}
