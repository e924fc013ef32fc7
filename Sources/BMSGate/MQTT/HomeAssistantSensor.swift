import Foundation

/// What Home Assistant needs to show one value of a state JSON: its name, class, unit.
public struct HomeAssistantSensor: Sendable, Equatable {
    /// "sensor" or "binary_sensor".
    public var component = "sensor"
    /// Last topic level before /config, unique within the device (e.g. `cell_3_voltage`).
    public var objectId: String
    /// Entity name shown under the device (e.g. "Cell 3 voltage").
    public var name: String
    /// Jinja template extracting the value from the state JSON.
    public var valueTemplate: String
    public var deviceClass: String?
    public var unit: String?
    /// measurement, total_increasing, or nil for text/enum values.
    public var stateClass: String?
    /// nil, or "diagnostic" for counters and settings.
    public var entityCategory: String?

    /// A sensor.
    public init(objectId: String, name: String, valueTemplate: String, deviceClass: String? = nil, unit: String? = nil,
                stateClass: String? = "measurement", entityCategory: String? = nil) {
        self.objectId = objectId
        self.name = name
        self.valueTemplate = valueTemplate
        self.deviceClass = deviceClass
        self.unit = unit
        self.stateClass = stateClass
        self.entityCategory = entityCategory
    }
}

/// Which sensors a state JSON (pack Reading JSON or bank JSON) gets: every numeric field,
/// each array element (cells, temperatures) and each numeric member of `extras`, `stats`
/// and `limits`, plus alarms/state as text and the MOSFET switches as binary sensors.
/// Known fields get their device class and unit; an extra gets a unit from its name's
/// ending (`_voltage` V, `_current`/`_current_limit` A, `_temperature` °C, `_power` W,
/// `_resistance` Ω, `_capacity` Ah) and is shown as diagnostic.
public enum HomeAssistantSensors {
    /// Metadata of a field the catalog knows: (entity name, device class, unit, state class).
    static func known(_ key: String) -> (String, String?, String?, String?)? {
        if key == "unit_id" { return ("Modbus unit id", nil, nil, nil) }
        guard let f = FieldCatalog.field(key) else { return nil }
        return (f.title, f.deviceClass, f.unit?.rawValue, f.kind == .counter ? "total_increasing" : "measurement")
    }

    /// Members of `limits` (bank JSON).
    static func limit(_ key: String) -> (String, String?, String?)? {
        FieldCatalog.limits.first { $0.field.name == key }.map { ($0.field.title, $0.field.deviceClass, $0.field.unit?.rawValue) }
    }

    /// Members of `stats` (pack poll counters).
    static let stats: [String: String] = [
        "polls": "Polls", "ok": "Good polls", "timeouts": "Poll timeouts", "checksum_errors": "Checksum errors",
        "errors": "Poll errors", "reopens": "Transport reopens",
    ]

    /// The sensors for `state`, in the order of its fields.
    public static func sensors(for state: JSONObject) -> [HomeAssistantSensor] {
        var out: [HomeAssistantSensor] = []
        for (key, value) in state.pairs {
            switch (key, value) {
            case ("cells", .array(let items)):
                for i in items.indices where items[i].isNumber {
                    out.append(HomeAssistantSensor(objectId: "cell_\(i + 1)_voltage", name: "Cell \(i + 1) voltage",
                                                   valueTemplate: "{{ value_json.cells[\(i)] }}", deviceClass: FieldCatalog.cell.deviceClass,
                                                   unit: FieldCatalog.cell.unit?.rawValue))
                }
            case ("temperatures", .array(let items)):
                for i in items.indices where items[i].isNumber {
                    out.append(HomeAssistantSensor(objectId: "temperature_\(i + 1)", name: "Temperature \(i + 1)",
                                                   valueTemplate: "{{ value_json.temperatures[\(i)] }}",
                                                   deviceClass: FieldCatalog.temperature.deviceClass, unit: FieldCatalog.temperature.unit?.rawValue))
                }
            case ("balancing", .array):
                out.append(HomeAssistantSensor(objectId: "balancing_cells", name: "Balancing cells",
                                               valueTemplate: "{{ value_json.balancing | length }}"))
            case ("online_packs", .array):
                out.append(HomeAssistantSensor(objectId: "online_packs", name: "Packs online",
                                               valueTemplate: "{{ value_json.online_packs | length }}"))
            case ("alarms", .array):
                out.append(HomeAssistantSensor(objectId: "alarms", name: "Alarms",
                                               valueTemplate: "{{ value_json.alarms | join(', ') if value_json.alarms else 'none' }}",
                                               stateClass: nil))
            case ("state", .string):
                out.append(HomeAssistantSensor(objectId: "state", name: "State", valueTemplate: "{{ value_json.state }}", stateClass: nil))
            case ("charge_enabled", .bool), ("discharge_enabled", .bool):
                var s = HomeAssistantSensor(objectId: key, name: key == "charge_enabled" ? "Charging allowed" : "Discharging allowed",
                                            valueTemplate: "{{ 'ON' if value_json.\(key) else 'OFF' }}", stateClass: nil)
                s.component = "binary_sensor"
                out.append(s)
            case ("extras", .object(let extras)):
                for (name, v) in extras.pairs where v.isNumber {
                    let (cls, unit) = unitFromName(name)
                    out.append(HomeAssistantSensor(objectId: "extra_" + slug(name), name: humanized(name),
                                                   valueTemplate: "{{ value_json.extras[\(quoted(name))] }}", deviceClass: cls, unit: unit,
                                                   entityCategory: "diagnostic"))
                }
            case ("stats", .object(let counters)):
                for (name, v) in counters.pairs where v.isNumber {
                    out.append(HomeAssistantSensor(objectId: "stats_" + slug(name), name: stats[name] ?? humanized(name),
                                                   valueTemplate: "{{ value_json.stats[\(quoted(name))] }}",
                                                   stateClass: "total_increasing", entityCategory: "diagnostic"))
                }
            case ("limits", .object(let members)):
                for (name, v) in members.pairs where v.isNumber {
                    let meta = limit(name) ?? (humanized(name), nil, nil)
                    out.append(HomeAssistantSensor(objectId: "limit_" + slug(name), name: meta.0,
                                                   valueTemplate: "{{ value_json.limits[\(quoted(name))] }}", deviceClass: meta.1, unit: meta.2))
                }
                if case .object? = members["phase"] {
                    out.append(HomeAssistantSensor(objectId: "charge_phase", name: "Charge phase",
                                                   valueTemplate: "{{ value_json.limits.phase.name }}", deviceClass: "enum", stateClass: nil))
                    out.append(HomeAssistantSensor(objectId: "last_full_charge", name: "Last full charge",
                                                   valueTemplate: "{{ value_json.limits.phase.last_full_charge }}", deviceClass: "timestamp",
                                                   stateClass: nil, entityCategory: "diagnostic"))
                }
            case (_, .number):
                let meta = known(key) ?? (humanized(key), nil, nil, "measurement")
                out.append(HomeAssistantSensor(objectId: slug(key), name: meta.0, valueTemplate: "{{ value_json[\(quoted(key))] }}",
                                               deviceClass: meta.1, unit: meta.2, stateClass: meta.3,
                                               entityCategory: key == "unit_id" ? "diagnostic" : nil))
            default:
                break
            }
        }
        return out
    }

    /// Device class and unit from an extra's name ending, (nil, nil) when it says nothing.
    static func unitFromName(_ name: String) -> (String?, String?) {
        let n = name.lowercased()
        if n.hasSuffix("voltage") || n.hasSuffix("voltage_limit") { return ("voltage", "V") }
        if n.hasSuffix("current") || n.hasSuffix("current_limit") { return ("current", "A") }
        if n.hasSuffix("temperature") { return ("temperature", "°C") }
        if n.hasSuffix("power") { return ("power", "W") }
        if n.range(of: #"resistance(_\d+)?$"#, options: .regularExpression) != nil { return (nil, "Ω") }
        if n.hasSuffix("capacity") || n.hasSuffix("_ah") || n.hasPrefix("ah_") { return (nil, "Ah") }
        return (nil, nil)
    }

    /// `cell_resistance_3` → "Cell resistance 3".
    static func humanized(_ name: String) -> String {
        let words = name.split(whereSeparator: { $0 == "_" || $0 == "-" || $0 == " " })
        guard let first = words.first else { return name }
        return ([first.prefix(1).uppercased() + first.dropFirst()] + words.dropFirst().map(String.init)).joined(separator: " ")
    }

    /// A topic-level- and entity-id-safe version of `text`: [a-z0-9_], runs of others → `_`.
    public static func slug(_ text: String) -> String {
        var out = ""
        for scalar in text.lowercased().unicodeScalars {
            let ok = (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9")
            if ok { out.unicodeScalars.append(scalar) } else if !out.hasSuffix("_") { out += "_" }
        }
        while out.hasSuffix("_") { out.removeLast() }
        return out.isEmpty ? "x" : out
    }

    /// A Jinja string literal.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}

extension JSONValue {
    var isNumber: Bool { if case .number = self { true } else { false } }
}
