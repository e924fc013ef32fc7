import Foundation
import Testing

@testable import BMSGate

/// Home Assistant discovery: a sensor for every numeric field, with the right class and unit.
@Suite struct HomeAssistantDiscoveryTests {
    func fullReading() -> Reading {
        var r = Reading(pack: "r1", driver: "rec-bms", time: Date(timeIntervalSince1970: 0))
        r.voltage = 53.2
        r.current = -12.5
        r.power = -665
        r.soc = 72
        r.soh = 98
        r.remainingCapacity = 201.6
        r.fullCapacity = 280
        r.cycles = 41
        r.cells = [3.301, 3.308, 3.304]
        r.temperatures = [21.5, -3]
        r.mosTemperature = 30
        r.ambientTemperature = 19
        r.balancing = [2]
        r.chargeEnabled = true
        r.dischargeEnabled = false
        r.alarms = [.cellImbalance]
        r.identity.model = "REC BMS MASTER"
        r.identity.manufacturer = "REC"
        r.identity.firmware = "2.10"
        r.identity.hardware = "1.3"
        r.identity.serial = "SN42"
        r.extras = [("charge_current_limit", .number(90)), ("bms_temperature", .number(28.5)), ("cell_resistance_1", .number(0.0004)),
                    ("ah_counter", .number(78)), ("max_cell_unit", .number(1)), ("chemistry", .text("LiFePO4"))]
        return r
    }

    func state(_ r: Reading) -> JSONObject {
        guard case .object(var o) = r.json(online: true) else { return JSONObject() }
        o["stats"] = PackCounters().json
        return o
    }

    /// Every numeric leaf of a state JSON as the template expression that reads it.
    func numericPaths(_ o: JSONObject) -> [String] {
        var out: [String] = []
        for (k, v) in o.pairs {
            switch v {
            case .number: out.append("value_json['\(k)']")
            case .array(let items) where k != "balancing":
                for i in items.indices where items[i].isNumber { out.append("value_json.\(k)[\(i)]") }
            case .object(let inner):
                for (k2, v2) in inner.pairs where v2.isNumber { out.append("value_json.\(k)['\(k2)']") }
            default: break
            }
        }
        return out
    }

    @Test func everyNumericFieldOfAPackHasASensor() {
        let s = state(fullReading())
        let sensors = HomeAssistantSensors.sensors(for: s)
        let templates = sensors.map(\.valueTemplate)
        for path in numericPaths(s) {
            #expect(templates.contains("{{ \(path) }}"), "no sensor for \(path)")
        }
        #expect(Set(sensors.map(\.objectId)).count == sensors.count)
        func sensor(_ id: String) -> HomeAssistantSensor? { sensors.first { $0.objectId == id } }
        #expect(sensor("voltage") == HomeAssistantSensor(objectId: "voltage", name: "Voltage", valueTemplate: "{{ value_json['voltage'] }}",
                                                         deviceClass: "voltage", unit: "V"))
        #expect(sensor("current")?.deviceClass == "current" && sensor("current")?.unit == "A")
        #expect(sensor("power")?.deviceClass == "power" && sensor("power")?.unit == "W")
        #expect(sensor("soc")?.deviceClass == "battery" && sensor("soc")?.unit == "%")
        #expect(sensor("soh")?.deviceClass == nil && sensor("soh")?.unit == "%")
        #expect(sensor("remaining_capacity")?.unit == "Ah" && sensor("full_capacity")?.unit == "Ah")
        #expect(sensor("cycles")?.stateClass == "total_increasing" && sensor("cycles")?.unit == nil)
        #expect(sensor("cell_3_voltage") == HomeAssistantSensor(objectId: "cell_3_voltage", name: "Cell 3 voltage",
                                                                valueTemplate: "{{ value_json.cells[2] }}", deviceClass: "voltage", unit: "V"))
        #expect(sensor("cell_4_voltage") == nil)
        #expect(sensor("cell_delta")?.unit == "V" && sensor("cell_min")?.name == "Lowest cell voltage")
        #expect(sensor("temperature_2")?.valueTemplate == "{{ value_json.temperatures[1] }}")
        #expect(sensor("temperature_2")?.deviceClass == "temperature" && sensor("temperature_2")?.unit == "°C")
        #expect(sensor("mos_temperature")?.unit == "°C" && sensor("ambient_temperature")?.deviceClass == "temperature")
        #expect(sensor("balancing_cells")?.valueTemplate == "{{ value_json.balancing | length }}")
        #expect(sensor("alarms")?.stateClass == nil)
        #expect(sensor("charge_enabled")?.component == "binary_sensor")
        #expect(sensor("discharge_enabled")?.valueTemplate == "{{ 'ON' if value_json.discharge_enabled else 'OFF' }}")
        #expect(sensor("extra_charge_current_limit")?.unit == "A" && sensor("extra_charge_current_limit")?.entityCategory == "diagnostic")
        #expect(sensor("extra_bms_temperature")?.unit == "°C")
        #expect(sensor("extra_cell_resistance_1")?.unit == "Ω")
        #expect(sensor("extra_ah_counter")?.unit == "Ah")
        #expect(sensor("extra_max_cell_unit")?.unit == nil && sensor("extra_max_cell_unit")?.deviceClass == nil)
        #expect(sensor("extra_chemistry") == nil)
        #expect(sensor("stats_timeouts")?.name == "Poll timeouts" && sensor("stats_timeouts")?.stateClass == "total_increasing")
    }

    @Test func bankSensorsIncludeTheLimits() throws {
        let config = try ConfigLoader.parse(yaml: """
            buses: [{id: lab, type: sim}]
            packs: [{id: r1, driver: rec-bms, bus: lab, address: 1}]
            banks: [{id: main, packs: [r1], limits: {charge_voltage: 56, charge_current: 100, discharge_current: 120}}]
            """, file: "t.yaml")
        let pack = PackStatus(id: "r1", driver: "rec-bms", bus: "lab", address: "1", online: true, reading: fullReading(), lastError: nil,
                              lastPollTime: Date(), counters: PackCounters(), sequence: 1)
        let bank = BankStatus.aggregate(config.banks[0], statuses: [pack], packLimits: ["r1": config.packs[0].limits])
        guard case .object(let o) = bank.json else { Issue.record("bank JSON is not an object"); return }
        let sensors = HomeAssistantSensors.sensors(for: o)
        let templates = sensors.map(\.valueTemplate)
        for path in numericPaths(o) { #expect(templates.contains("{{ \(path) }}"), "no sensor for \(path)") }
        let cvl = sensors.first { $0.objectId == "limit_charge_voltage" }
        #expect(cvl?.unit == "V" && cvl?.name == "Charge voltage limit")
        #expect(sensors.first { $0.objectId == "limit_discharge_current" }?.deviceClass == "current")
        #expect(sensors.first { $0.objectId == "state" }?.valueTemplate == "{{ value_json.state }}")
        #expect(sensors.first { $0.objectId == "online_packs" }?.name == "Packs online")
    }

    @Test func discoveryMessagesCarryDeviceStateAndAvailability() throws {
        let topics = MQTTTopics(prefix: "bmsgate", site: "home", discoveryPrefix: "homeassistant")
        let pack = PackStatus(id: "r1", driver: "rec-bms", bus: "lab", address: "1", online: true, reading: fullReading(), lastError: nil,
                              lastPollTime: Date(), counters: PackCounters(), sequence: 1)
        let messages = HomeAssistantDiscovery.messages(id: "r1", state: state(fullReading()),
                                                       device: HomeAssistantDevice(pack: pack, site: "home"), topics: topics)
        let voltage = try #require(messages.first { $0.topic == "homeassistant/sensor/bmsgate_home_r1/voltage/config" })
        #expect(voltage.retain && voltage.qos == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(voltage.payload.utf8)) as? [String: Any])
        #expect(json["name"] as? String == "Voltage")
        #expect(json["unique_id"] as? String == "bmsgate_home_r1_voltage")
        #expect(json["state_topic"] as? String == "bmsgate/home/r1/state")
        #expect(json["value_template"] as? String == "{{ value_json['voltage'] }}")
        #expect(json["device_class"] as? String == "voltage")
        #expect(json["unit_of_measurement"] as? String == "V")
        #expect(json["state_class"] as? String == "measurement")
        #expect(json["availability_mode"] as? String == "all")
        let availability = try #require(json["availability"] as? [[String: String]])
        #expect(availability.map { $0["topic"] } == ["bmsgate/home/availability", "bmsgate/home/r1/availability"])
        let device = try #require(json["device"] as? [String: Any])
        #expect(device["identifiers"] as? [String] == ["bmsgate_home_r1"])
        #expect(device["manufacturer"] as? String == "REC")
        #expect(device["model"] as? String == "REC BMS MASTER")
        #expect(device["sw_version"] as? String == "2.10")
        #expect(device["hw_version"] as? String == "1.3")
        #expect(device["serial_number"] as? String == "SN42")
        #expect(device["name"] as? String == "home r1")
        let binary = try #require(messages.first { $0.topic == "homeassistant/binary_sensor/bmsgate_home_r1/charge_enabled/config" })
        #expect(binary.payload.contains(#""payload_on":"ON""#))
        // A BMS that does not say who made it: the driver stands in.
        let anonymous = PackStatus(id: "p", driver: "basen", bus: "lab", address: "1", online: true,
                                   reading: Reading(pack: "p", driver: "basen", time: Date()), lastError: nil, lastPollTime: nil,
                                   counters: PackCounters(), sequence: 1)
        let d = HomeAssistantDevice(pack: anonymous, site: "home")
        #expect(d.manufacturer == "basen" && d.model == "basen BMS" && d.firmware == nil)
    }

    @Test func slugsAreTopicAndEntitySafe() {
        #expect(HomeAssistantSensors.slug("Cell Resistance #3") == "cell_resistance_3")
        #expect(HomeAssistantSensors.slug("a//b++c") == "a_b_c")
        #expect(HomeAssistantSensors.slug("+++") == "x")
        #expect(HomeAssistantSensors.humanized("cell_resistance_3") == "Cell resistance 3")
        #expect(HomeAssistantSensors.quoted("it's") == #"'it\'s'"#)
    }
}
