import BMSDriverKit
import CBMSDriver
import Foundation

/// The LC30 API's operations (VendorRoutes maps each route to one `op`). Errors carry the
/// seed document's HTTP statuses: 400 not initialized / no confirmation / unknown class /
/// address out of range, 403 advanced mode off (or writes not allowed, or sealed),
/// 404 unknown profile.
struct LC30Commands {
    let driver: LC30Driver
    var bus: SMBus { driver.bus }
    var state: LC30State {
        get { driver.state }
        nonmutating set { driver.state = newValue }
    }

    nonisolated(unsafe) static let defaultProfiles: [String: [String: Any]] = [
        "sbs_monitoring": [
            "label": "SBS Monitoring (read)", "description": "Main SBS registers, read only.",
            "entries": [0x08, 0x09, 0x0A, 0x0B, 0x0D, 0x0F, 0x10, 0x16, 0x17].map { code -> [String: Any] in
                let c = BQ78350.command(UInt8(code))!
                return ["register": hex2(code), "mode": "word", "signed": c.kind == .signedWord, "label": c.name]
            },
        ],
        "manufacturer_strings": [
            "label": "Manufacturer strings", "description": "Manufacturer, device name and chemistry blocks.",
            "entries": [0x20, 0x21, 0x22].map { code -> [String: Any] in
                ["register": hex2(code), "mode": "block", "length": 32, "label": BQ78350.command(UInt8(code))!.name]
            },
        ],
    ]

    static func hex2(_ v: Int) -> String { "0x" + String(format: "%02X", v) }
    static func hex4(_ v: Int) -> String { "0x" + String(format: "%04X", v) }

    func render(_ o: [String: Any]) -> String {
        guard let d = try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]) else { return "{\"ok\":false}" }
        return String(decoding: d, as: UTF8.self)
    }

    func run(_ json: String) throws(DriverError) -> String {
        guard let r = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any], let op = r["op"] as? String else {
            throw .http(400, "the request must be a JSON object with an op")
        }
        switch op {
        case "monitor": return render(monitor())
        case "diag": return render(diag())
        case "advanced_config": return render(["ok": true, "config": state.configJSON])
        case "advanced_config_set":
            var s = state
            s.apply(r)
            state = s
            try save()
            return render(["ok": true, "message": "Advanced BMS configuration saved.", "config": state.configJSON])
        case "calibrate_voltage": return render(try calibrate(r, voltage: true))
        case "calibrate_current": return render(try calibrate(r, voltage: false))
        case "calibration_reset":
            var s = state
            s.voltageGain = 1; s.voltageOffset = 0; s.currentGain = 1; s.currentOffset = 0; s.socSource = "bms"
            state = s
            try save()
            return render(["ok": true, "message": "BMS calibration reset.", "config": state.configJSON])
        case "register_read": return render(try registerRead(r))
        case "register_write": return render(try registerWrite(r))
        case "profiles": return render(profiles())
        case "profile_add": return render(try profileAdd(r))
        case "profiles_import": return render(try profilesImport(r))
        case "profile_apply": return render(try profileApply(r))
        case "studio_info": return render(try studioInfo())
        case "studio_sbs": return render(try studioSBS())
        case "studio_mac": return render(try studioMAC(r))
        case "mac_commands": return render(macCommands())
        case "studio_status": return render(try studioStatus())
        case "studio_cells": return render(try studioCells())
        case "df_classes": return render(dfClasses())
        case "df_search": return render(try dfSearch(r))
        case "df_read": return render(try dfRead(r))
        case "df_write": return render(try dfWrite(r))
        case "df_raw": return render(try dfRaw(r))
        case "security": return render(["ok": true, "security": ["mode": try securityMode()]])
        case "security_set": return render(try securitySet(r))
        default: throw .http(400, "unknown op '\(op)'")
        }
    }

    func save() throws(DriverError) {
        do { try state.save(driver.statePath) } catch {
            throw .http(500, "cannot save the LC30 state to \(driver.statePath): \(error.localizedDescription)")
        }
    }

    // MARK: monitoring

    func monitor() -> [String: Any] {
        do {
            let m = try driver.readMonitor()
            driver.lastRaw = (m.voltage, m.current)
            let c = driver.corrected(m)
            let (alarms, _) = LC30Driver.alarms(m)
            return ["connected": true, "soc": c.soc, "voltage": c.voltage, "current": c.current, "temperature": m.temperature,
                    "remaining_capacity": m.remaining, "full_charge_capacity": m.full, "cycle_count": m.cycles,
                    "charging": c.current > 0, "fully_charged": m.batteryStatus & 0x20 != 0, "alarms": alarms.names,
                    "advanced_mode": state.advancedMode, "soc_source": state.socSource]
        } catch {
            return ["connected": false, "error": error.message, "alarms": [String](), "advanced_mode": state.advancedMode,
                    "soc_source": state.socSource]
        }
    }

    func diag() -> [String: Any] {
        var out: [String: Any] = ["target_addr": Self.hex2(Int(bus.address)), "connected": false, "error": NSNull()]
        // Who answers on this bus (a one-byte read per address, on the bus thread), and the
        // bus as the API document shows it: /dev/i2c-N has the id N, others their bus id.
        // The machine's other I2C buses are listed (the driver never opens them: the host
        // hands it only its own bus), with the addresses answering on the target bus.
        let devices = (0x08...0x77).filter { a in (try? driver.link.i2c(address: UInt16(a), write: [], readCount: 1)) != nil }.map { Self.hex2($0) }
        let path = driver.link.busDevice
        let id: Any = Self.busNumber(path).map { $0 as Any } ?? driver.link.busID
        var buses: [[String: Any]] = Self.i2cBuses().filter { $0.path != path }.map { ["id": $0.number, "path": $0.path, "devices": NSNull(), "probed": false] }
        buses.append(["id": id, "path": path, "devices": devices, "probed": true])
        out["buses"] = buses.sorted { "\($0["path"] ?? "")" < "\($1["path"] ?? "")" }
        out["target_bus"] = id
        do {
            out["registers"] = ["voltage_mV": try bus.word(0x09), "current_mA": try bus.signedWord(0x0A), "soc_%": try bus.word(0x0D),
                                "temperature_01K": try bus.word(0x08), "status": try bus.word(0x16), "cycle_count": try bus.word(0x17),
                                "serial_number": try bus.word(0x1C)]
            out["connected"] = true
        } catch {
            out["error"] = error.message
        }
        return out
    }

    /// N of /dev/i2c-N.
    static func busNumber(_ path: String) -> Int? {
        path.hasPrefix("/dev/i2c-") ? Int(path.dropFirst("/dev/i2c-".count)) : nil
    }

    /// The I2C bus device nodes of the machine (`dir` for tests), by number.
    static func i2cBuses(in dir: String = "/dev") -> [(number: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("i2c-"), let n = Int(name.dropFirst(4)) else { return nil }
            return (n, "/dev/" + name)
        }.sorted { $0.0 < $1.0 }
    }

    func calibrate(_ r: [String: Any], voltage: Bool) throws(DriverError) -> [String: Any] {
        let key = voltage ? "reference_voltage" : "reference_current"
        guard let reference = LC30State.number(r[key]) else { throw .http(400, "give \(key)") }
        if driver.lastRaw == nil { _ = monitor() }
        guard let raw = driver.lastRaw else { throw .http(400, "BMS not initialized: no valid measurement yet") }
        var s = state
        if voltage {
            guard raw.voltage > 0.5 else { throw .http(400, "invalid measurement: the measured voltage is \(raw.voltage) V") }
            s.voltageGain = ((reference - s.voltageOffset) / raw.voltage * 1_000_000).rounded() / 1_000_000
        } else {
            guard abs(raw.current) >= 0.1 else {
                throw .http(400, "current too low for a calibration (measured \(raw.current) A, at least 0.1 A needed)")
            }
            s.currentGain = ((reference - s.currentOffset) / raw.current * 1_000_000).rounded() / 1_000_000
        }
        state = s
        try save()
        return voltage
            ? ["ok": true, "message": "Voltage calibration applied.", "measured_voltage": raw.voltage, "reference_voltage": reference,
               "voltage_gain": state.voltageGain]
            : ["ok": true, "message": "Current calibration applied.", "measured_current": raw.current, "reference_current": reference,
               "current_gain": state.currentGain]
    }

    // MARK: registers and profiles

    func register(_ r: [String: Any]) throws(DriverError) -> UInt8 {
        let text = (r["register"] as? String) ?? (r["register"] as? Int).map { String($0) } ?? ""
        guard let v = DriverOptions.parseInteger(text), (0...0xFF).contains(v) else {
            throw .http(400, "give register as 0x00...0xFF, not '\(text)'")
        }
        return UInt8(v)
    }

    func read(register code: UInt8, mode: String, signed: Bool, length: Int) throws(DriverError) -> [String: Any] {
        var out: [String: Any] = ["mode": mode, "register": Self.hex2(Int(code))]
        switch mode {
        case "byte":
            let v = try bus.readByte(code)
            out["value"] = signed && v >= 0x80 ? v - 0x100 : v
            out["raw_value"] = v
            out["hex"] = Self.hex2(v)
            out["signed"] = signed
        case "word":
            let raw = try bus.word(code)
            out["value"] = signed && raw >= 0x8000 ? raw - 0x10000 : raw
            out["raw_value"] = raw
            out["hex"] = Self.hex4(raw)
            out["signed"] = signed
        case "block":
            let bytes = try bus.rawBlock(code, count: max(1, min(32, length)))
            out["length"] = bytes.count
            out["bytes"] = bytes.map { Int($0) }
            out["hex"] = bytes.map { String(format: "%02X", $0) }.joined(separator: " ")
        default:
            throw .http(400, "mode must be byte, word or block")
        }
        return out
    }

    func registerRead(_ r: [String: Any]) throws(DriverError) -> [String: Any] {
        var out = try read(register: try register(r), mode: (r["mode"] as? String) ?? "word", signed: r["signed"] as? Bool ?? false,
                           length: (r["length"] as? Int) ?? 32)
        out["ok"] = true
        return out
    }

    func requireWrite(_ r: [String: Any], confirmKey: String) throws(DriverError) {
        guard driver.allowWrites else { throw .http(403, "writes are off for this pack: set allow_writes: true in its config") }
        guard state.advancedMode else { throw .http(403, "advanced mode is off: enable it in advanced-config first") }
        guard r[confirmKey] as? Bool == true else { throw .http(400, "no confirmation: send \"\(confirmKey)\": true") }
    }

    func registerWrite(_ r: [String: Any]) throws(DriverError) -> [String: Any] {
        try requireWrite(r, confirmKey: "confirm_write")
        let code = try register(r)
        guard !BQ78350.protectedRegisters.contains(code) else { throw .http(403, "register \(Self.hex2(Int(code))) is protected") }
        guard let value = LC30State.number(r["value"]).map({ Int($0) }) else { throw .http(400, "give value") }
        let mode = (r["mode"] as? String) ?? "word"
        do throws(DriverError) {
            switch mode {
            case "word":
                guard (-0x8000...0xFFFF).contains(value) else { throw DriverError.http(400, "a word value must fit 16 bits") }
                try bus.writeWord(code, value)
            case "byte":
                guard (-0x80...0xFF).contains(value) else { throw DriverError.http(400, "a byte value must fit 8 bits") }
                try bus.writeByte(code, value)
            default: throw DriverError.http(400, "write mode must be byte or word")
            }
        } catch where error.status != BMS_ERR_INVALID.rawValue && (try? securityMode()) == "SEALED" {
            // A sealed gauge NACKs writes to most registers: say why, not "does not answer".
            throw .http(403, "the gauge is SEALED and refused the write to register \(Self.hex2(Int(code))): unseal it first (POST studio/security {\"action\": \"unseal\"})")
        }
        driver.link.log(BMS_LOG_WARNING, "LC30: register \(Self.hex2(Int(code))) written with \(value) (\(mode))")
        let raw = value < 0 ? value + (mode == "word" ? 0x10000 : 0x100) : value
        return ["ok": true, "mode": mode, "register": Self.hex2(Int(code)), "value": value, "raw_value": raw,
                "hex": mode == "word" ? Self.hex4(raw) : Self.hex2(raw), "message": "\(mode) write OK"]
    }

    func profiles() -> [String: Any] {
        ["ok": true, "profiles": ["defaults": Self.defaultProfiles.mapValues { ["label": $0["label"]!, "description": $0["description"]!] },
                                  "custom": state.profiles]]
    }

    func validated(_ name: String, _ p: [String: Any]) throws(DriverError) -> [String: Any] {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw .http(400, "profile names are letters, digits, - and _")
        }
        guard Self.defaultProfiles[name] == nil else { throw .http(400, "'\(name)' is a reserved default profile name") }
        guard let entries = p["entries"] as? [[String: Any]], !entries.isEmpty else { throw .http(400, "profile '\(name)' needs entries") }
        for e in entries { _ = try register(e) }
        return ["label": p["label"] as? String ?? name, "description": p["description"] as? String ?? "", "entries": entries]
    }

    func profileAdd(_ r: [String: Any]) throws(DriverError) -> [String: Any] {
        let name = r["name"] as? String ?? ""
        let p = try validated(name, r)
        var s = state
        s.profiles[name] = p
        state = s
        try save()
        return ["ok": true, "profile": name, "message": "profile saved"]
    }

    func profilesImport(_ r: [String: Any]) throws(DriverError) -> [String: Any] {
        let source = (r["profiles"] as? [String: Any]) ?? r.filter { $0.key != "op" }
        var s = state
        var imported: [String] = []
        for (name, value) in source.sorted(by: { $0.key < $1.key }) {
            guard let p = value as? [String: Any] else { throw .http(400, "profile '\(name)' must be an object") }
            s.profiles[name] = try validated(name, p)
            imported.append(name)
        }
        state = s
        try save()
        return ["ok": true, "imported": imported]
    }

    func profileApply(_ r: [String: Any]) throws(DriverError) -> [String: Any] {
        let name = r["profile"] as? String ?? ""
        guard let profile = Self.defaultProfiles[name] ?? state.profiles[name] else { throw .http(404, "profile '\(name)' not found") }
        let writeMode = r["write_mode"] as? Bool ?? false
        if writeMode { try requireWrite(r, confirmKey: "confirm_write") }
        var results: [[String: Any]] = []
        for e in (profile["entries"] as? [[String: Any]]) ?? [] {
            var row: [String: Any] = ["label": e["label"] as? String ?? ""]
            do {
                let code = try register(e)
                let mode = e["mode"] as? String ?? "word"
                if writeMode, let value = LC30State.number(e["value"]).map({ Int($0) }) {
                    guard !BQ78350.protectedRegisters.contains(code) else { throw DriverError.http(403, "protected") }
                    if mode == "byte" { try bus.writeByte(code, value) } else { try bus.writeWord(code, value) }
                }
                row.merge(try read(register: code, mode: mode, signed: e["signed"] as? Bool ?? false, length: e["length"] as? Int ?? 32)) { $1 }
                row["status"] = "ok"
            } catch {
                row["register"] = e["register"] ?? ""
                row["status"] = "error"
                row["error"] = (error as? DriverError)?.message ?? "\(error)"
            }
            results.append(row)
        }
        return ["ok": true, "profile": name, "write_mode": writeMode, "results": results]
    }
}
