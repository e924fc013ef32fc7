import BMSDriverKit

/// The LC30 HTTP API (the seed document) as command descriptors: each route of the API is a
/// command of this driver, served by the host under `/api/packs/{id}/bms/...` (and
/// `/api/bms/...` when the site has one LC30 pack).
enum LC30API {
    static func get(_ name: String, _ path: String, _ summary: String, query: [String] = []) -> CommandDescriptor {
        CommandDescriptor(name, summary: summary, http: ("GET", route(path)), query: query)
    }

    static func post(_ name: String, _ path: String, _ summary: String, writes: Bool, schema: String? = nil,
                     writesWhen: String? = nil) -> CommandDescriptor {
        CommandDescriptor(name, summary: summary, writes: writes, http: ("POST", route(path)), requestSchema: schema, writesWhen: writesWhen)
    }

    static func route(_ path: String) -> String { path.isEmpty ? "bms" : "bms/" + path }

    /// A JSON Schema object with these properties (name: JSON type) and required names.
    static func schema(_ properties: KeyValuePairs<String, String>, required: [String] = []) -> String {
        let props = properties.map { "\"\($0.key)\":{\"type\":\"\($0.value)\"}" }.joined(separator: ",")
        let req = required.isEmpty ? "" : ",\"required\":[" + required.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        return "{\"type\":\"object\",\"properties\":{\(props)}\(req)}"
    }

    static let commands: [CommandDescriptor] = [
        get("monitor", "", "Consolidated BMS data"),
        get("diag", "diag", "I2C diagnostics and basic registers"),
        get("advanced_config", "advanced-config", "Advanced configuration"),
        post("advanced_config_set", "advanced-config", "Change the advanced configuration", writes: true),
        post("calibrate_voltage", "calibration/voltage", "Voltage calibration from a reference", writes: true,
             schema: schema(["reference_voltage": "number"], required: ["reference_voltage"])),
        post("calibrate_current", "calibration/current", "Current calibration from a reference", writes: true,
             schema: schema(["reference_current": "number"], required: ["reference_current"])),
        post("calibration_reset", "calibration/reset", "Reset the calibration", writes: true),
        post("register_read", "register/read", "Read a register (byte, word, block)", writes: false,
             schema: schema(["register": "string", "mode": "string", "length": "integer", "signed": "boolean"], required: ["register"])),
        post("register_write", "register/write", "Write a register", writes: true,
             schema: schema(["register": "string", "mode": "string", "value": "integer"], required: ["register", "value"])),
        get("profiles", "register/profiles", "Register profiles"),
        post("profile_add", "register/profiles", "Add a custom profile", writes: true),
        post("profiles_import", "register/profiles/import", "Import custom profiles", writes: true,
             schema: schema(["profiles": "array"], required: ["profiles"])),
        post("profile_apply", "register/profile/apply", "Apply a profile (write_mode needs the token)", writes: false,
             schema: schema(["profile": "string", "write_mode": "boolean"], required: ["profile"]), writesWhen: "write_mode"),
        get("studio_info", "studio/info", "Device information and security mode"),
        get("studio_sbs", "studio/sbs", "All SBS registers and the cells"),
        post("studio_mac", "studio/mac", "Send a MAC command", writes: true,
             schema: schema(["command": "string", "confirm": "boolean"], required: ["command"])),
        get("mac_commands", "studio/mac_commands", "MAC commands with their risk"),
        get("studio_status", "studio/status", "Status flags by name"),
        get("studio_cells", "studio/cells", "Cell voltages"),
        get("df_classes", "studio/df_classes", "Data Flash classes"),
        get("df_search", "studio/df_search", "Search Data Flash by name or address (q)", query: ["q"]),
        post("df_read", "studio/df_read", "Read a Data Flash class", writes: false, schema: schema(["class": "string"], required: ["class"])),
        post("df_write", "studio/df_write", "Write a Data Flash parameter", writes: true,
             schema: schema(["address": "string", "size": "integer", "signed": "boolean", "value": "number"], required: ["address", "value"])),
        post("df_raw", "studio/df_raw", "Raw Data Flash block (0x4000-0x47FF)", writes: false, schema: schema(["address": "string"], required: ["address"])),
        get("security", "studio/security", "Security mode"),
        post("security_set", "studio/security", "Seal, unseal, full access", writes: true,
             schema: schema(["action": "string", "key1": "string", "key2": "string"], required: ["action"])),
    ]

    /// The options the driver takes, and its address.
    static let options: [OptionDescriptor] = [
        OptionDescriptor("address", .int, default: "0x0B", range: 0x08...0x77, help: "7-bit I2C/SMBus address of the gauge (0x08-0x77)"),
        OptionDescriptor("pec", .bool, default: "false", help: "SMBus packet error checking on every transfer"),
        OptionDescriptor("state_file", .string, default: "data/lc30-<address>.json",
                         help: "where the advanced configuration, calibration and profiles are kept"),
    ]
}
