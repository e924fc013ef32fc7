/// The device block of a discovery message: who made the pack, which model, which firmware.
public struct HomeAssistantDevice: Sendable, Equatable {
    public var name: String
    public var manufacturer: String
    public var model: String
    public var firmware: String?
    public var hardware: String?
    public var serial: String?

    /// A device.
    public init(name: String, manufacturer: String, model: String, firmware: String? = nil, hardware: String? = nil,
                serial: String? = nil) {
        self.name = name
        self.manufacturer = manufacturer
        self.model = model
        self.firmware = firmware
        self.hardware = hardware
        self.serial = serial
    }

    /// A pack's device from its reading's identity (driver id when the BMS does not say).
    public init(pack: PackStatus, site: String) {
        let identity = pack.reading?.identity
        func nonEmpty(_ s: String?) -> String? { (s?.isEmpty ?? true) ? nil : s }
        self.init(name: "\(site) \(pack.id)", manufacturer: nonEmpty(identity?.manufacturer) ?? pack.driver,
                  model: nonEmpty(identity?.model) ?? "\(pack.driver) BMS", firmware: nonEmpty(identity?.firmware),
                  hardware: nonEmpty(identity?.hardware), serial: nonEmpty(identity?.serial))
    }

    /// A bank's device.
    public init(bank: BankStatus, site: String) {
        self.init(name: "\(site) \(bank.id)", manufacturer: "bmsgate", model: "battery bank (\(bank.packs.count) packs)",
                  firmware: GatewayVersion.current)
    }
}

/// Home Assistant MQTT discovery messages (retained) for one pack or bank: one per sensor
/// of its state JSON, each tied to the device, the state topic and two availability
/// topics (gateway and pack/bank), so an entity reads "unavailable" as soon as its data
/// is stale or the gateway is gone instead of showing an old value as current.
public enum HomeAssistantDiscovery {
    /// The discovery messages for `state` of pack/bank `id`.
    public static func messages(id: String, state: JSONObject, device: HomeAssistantDevice, topics: MQTTTopics) -> [MQTTMessage] {
        let deviceId = topics.deviceId(id)
        var deviceBlock = JSONObject()
        deviceBlock["identifiers"] = .array([.string(deviceId)])
        deviceBlock["name"] = .string(device.name)
        deviceBlock["manufacturer"] = .string(device.manufacturer)
        deviceBlock["model"] = .string(device.model)
        deviceBlock["sw_version"] = device.firmware.map(JSONValue.string)
        deviceBlock["hw_version"] = device.hardware.map(JSONValue.string)
        deviceBlock["serial_number"] = device.serial.map(JSONValue.string)
        var origin = JSONObject()
        origin["name"] = .string("bmsgate")
        origin["sw_version"] = .string(GatewayVersion.current)
        let availability: JSONValue = .array([topics.availability, topics.availability(id)].map { topic in
            var a = JSONObject()
            a["topic"] = .string(topic)
            a["payload_available"] = .string("online")
            a["payload_not_available"] = .string("offline")
            return .object(a)
        })
        return HomeAssistantSensors.sensors(for: state).map { sensor in
            var o = JSONObject()
            o["name"] = .string(sensor.name)
            o["unique_id"] = .string("\(deviceId)_\(sensor.objectId)")
            o["state_topic"] = .string(topics.state(id))
            o["value_template"] = .string(sensor.valueTemplate)
            o["device_class"] = sensor.deviceClass.map(JSONValue.string)
            o["unit_of_measurement"] = sensor.unit.map(JSONValue.string)
            o["state_class"] = sensor.stateClass.map(JSONValue.string)
            o["entity_category"] = sensor.entityCategory.map(JSONValue.string)
            if sensor.component == "binary_sensor" {
                o["payload_on"] = .string("ON")
                o["payload_off"] = .string("OFF")
            }
            o["availability"] = availability
            o["availability_mode"] = .string("all")
            o["device"] = .object(deviceBlock)
            o["origin"] = .object(origin)
            return MQTTMessage(topic: topics.discovery(sensor, of: id), payload: JSONValue.object(o).render(), qos: 1, retain: true)
        }
    }
}
