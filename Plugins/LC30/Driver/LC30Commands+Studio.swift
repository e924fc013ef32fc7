import BMSDriverKit
import CBMSDriver
import Foundation

/// The studio routes: SBS in bulk, MAC commands, status flags, cells, Data Flash, security.
extension LC30Commands {
    func securityMode() throws(DriverError) -> String { BQ78350.security(operationStatus: try bus.status(0x54)) }

    func studioInfo() throws(DriverError) -> [String: Any] {
        var info: [String: Any] = [
            "device_name": String(decoding: try bus.block(0x21), as: UTF8.self),
            "manufacturer": String(decoding: try bus.block(0x20), as: UTF8.self),
            "chemistry": String(decoding: try bus.block(0x22), as: UTF8.self),
            "serial_number": try bus.word(0x1C), "security": try securityMode(),
        ]
        if let type = try? bus.mac(0x0001), type.count >= 2 { info["device_type"] = Self.hex4(Int(type[0]) | Int(type[1]) << 8) }
        return ["ok": true, "info": info]
    }

    func studioSBS() throws(DriverError) -> [String: Any] {
        var registers: [String: Any] = [:]
        for c in BQ78350.commands {
            switch c.kind {
            case .word: registers[c.name] = try bus.word(c.code)
            case .signedWord: registers[c.name] = try bus.signedWord(c.code)
            case .string: registers[c.name] = String(decoding: try bus.block(c.code), as: UTF8.self)
            case .block: registers[c.name] = Int(try bus.status(c.code))
            }
        }
        return ["ok": true, "registers": registers, "cells": try studioCells()["cells"]!]
    }

    func studioCells() throws(DriverError) -> [String: Any] {
        var cells: [Int] = []
        for i in 0..<state.cellCount { cells.append(try bus.word(0x3F - UInt8(i))) }
        return ["ok": true, "cell_count": state.cellCount, "cells": cells]
    }

    func macCommands() -> [String: Any] {
        ["ok": true, "commands": BQ78350.macCommands.map {
            ["command": Self.hex4(Int($0.code)), "name": $0.name, "description": $0.description, "risk": $0.risk,
             "needs_confirm": $0.risk == "dangerous"] as [String: Any]
        }]
    }

    func studioMAC(_ r: [String: Any]) throws(DriverError) -> [String: Any] {
        let text = (r["command"] as? String) ?? ""
        guard let value = DriverOptions.parseInteger(text), (0...0xFFFF).contains(value), let mac = BQ78350.mac(UInt16(value)) else {
            throw .http(400, "unknown MAC command '\(text)' (see mac_commands)")
        }
        if mac.risk != "read" {
            guard driver.allowWrites else { throw .http(403, "writes are off for this pack: set allow_writes: true in its config") }
            guard state.advancedMode else { throw .http(403, "advanced mode is off: enable it in advanced-config first") }
        }
        if mac.risk == "dangerous" && r["confirm"] as? Bool != true {
            throw .http(400, "\(mac.name) is dangerous: send \"confirm\": true")
        }
        if mac.risk == "read" {
            let data = try bus.mac(mac.code)
            return ["ok": true, "command": Self.hex4(value), "name": mac.name, "data": data.map { Int($0) },
                    "hex": data.map { String(format: "%02X", $0) }.joined(separator: " ")]
        }
        do { try bus.macWord(mac.code) } catch { throw .http(403, "\(mac.name) refused by the gauge (security \((try? securityMode()) ?? "?"))") }
        driver.link.log(BMS_LOG_WARNING, "LC30: MAC \(mac.name) (\(Self.hex4(value))) sent")
        return ["ok": true, "command": Self.hex4(value), "name": mac.name, "message": "sent"]
    }

    func studioStatus() throws(DriverError) -> [String: Any] {
        var status: [String: Any] = [:]
        for (key, code) in [("safety_alert", 0x50), ("safety_status", 0x51), ("pf_alert", 0x52), ("pf_status", 0x53),
                            ("operation_status", 0x54), ("charging_status", 0x55), ("gauging_status", 0x56)] {
            status[key] = BQ78350.setFlags(key, try bus.status(UInt8(code)))
        }
        let battery = try bus.word(0x16)
        status["battery_status"] = ["OCA": battery & 0x8000 != 0, "TCA": battery & 0x4000 != 0, "OTA": battery & 0x1000 != 0,
                                    "TDA": battery & 0x0800 != 0, "RCA": battery & 0x0200 != 0, "RTA": battery & 0x0100 != 0,
                                    "INIT": battery & 0x0080 != 0, "DSG": battery & 0x0040 != 0, "FC": battery & 0x0020 != 0,
                                    "FD": battery & 0x0010 != 0, "error_code": battery & 0x000F]
        status["security"] = ["mode": try securityMode()]
        return ["ok": true, "status": status]
    }

    // MARK: Data Flash

    func describe(_ p: BQ78350DataFlash.Parameter) -> [String: Any] {
        ["class": p.className, "subclass": p.subclass, "name": p.name, "address": Self.hex4(Int(p.address)), "type": p.type.rawValue,
         "size": p.type.size, "unit": p.unit]
    }

    func dfClasses() -> [String: Any] {
        ["ok": true, "classes": BQ78350DataFlash.classes.map { name in
            ["name": name, "parameters": BQ78350DataFlash.parameters.filter { $0.className == name }.count] as [String: Any]
        }]
    }

    func dfSearch(_ r: [String: Any]) throws(DriverError) -> [String: Any] {
        guard let q = (r["q"] as? String)?.trimmingCharacters(in: .whitespaces), !q.isEmpty else { throw .http(400, "the q parameter is required") }
        let address = q.lowercased().hasPrefix("0x") ? DriverOptions.parseInteger(q) : nil
        let hits = BQ78350DataFlash.parameters.filter { p in
            if let address { return Int(p.address) == address }
            return "\(p.className) \(p.subclass) \(p.name)".lowercased().contains(q.lowercased())
        }
        return ["ok": true, "query": q, "results": hits.map(describe)]
    }

    func requireUnsealed() throws(DriverError) {
        if try securityMode() == "SEALED" { throw .http(403, "the gauge is SEALED: unseal it (studio/security) to access Data Flash") }
    }

    func readParameter(_ p: BQ78350DataFlash.Parameter) throws(DriverError) -> Int {
        let bytes = try bus.dataFlash(p.address)
        return BQ78350DataFlash.decode(bytes.prefix(p.type.size), p.type)
    }

    func dfRead(_ r: [String: Any]) throws(DriverError) -> [String: Any] {
        let name = r["class"] as? String ?? ""
        let params = BQ78350DataFlash.parameters.filter { $0.className == name }
        guard !params.isEmpty else {
            throw .http(400, "unknown Data Flash class '\(name)' (classes: \(BQ78350DataFlash.classes.joined(separator: ", ")))")
        }
        try requireUnsealed()
        var rows: [[String: Any]] = []
        for p in params {
            var row = describe(p)
            row["value"] = try readParameter(p)
            rows.append(row)
        }
        return ["ok": true, "class": name, "parameters": rows]
    }

    func address(_ r: [String: Any]) throws(DriverError) -> UInt16 {
        let text = (r["address"] as? String) ?? (r["address"] as? Int).map { String($0) } ?? ""
        guard let a = DriverOptions.parseInteger(text), (Int(BQ78350DataFlash.start)...Int(BQ78350DataFlash.end)).contains(a) else {
            throw .http(400, "Data Flash address '\(text)' out of range (0x4000...0x47FF)")
        }
        return UInt16(a)
    }

    func dfWrite(_ r: [String: Any]) throws(DriverError) -> [String: Any] {
        try requireWrite(r, confirmKey: "confirm")
        let a = try address(r)
        let known = BQ78350DataFlash.parameters.first { $0.address == a }
        let size = (r["size"] as? Int) ?? known?.type.size ?? 2
        let signed = (r["signed"] as? Bool) ?? known?.type.signed ?? false
        guard [1, 2, 4].contains(size) else { throw .http(400, "size must be 1, 2 or 4") }
        guard Int(a) + size - 1 <= Int(BQ78350DataFlash.end) else { throw .http(400, "the value does not fit below 0x47FF") }
        guard let value = LC30State.number(r["value"]).map({ Int($0) }), let bytes = BQ78350DataFlash.encode(value, size: size, signed: signed) else {
            throw .http(400, "value does not fit \(size) byte(s)\(signed ? " signed" : "")")
        }
        try requireUnsealed()
        try bus.writeDataFlash(a, bytes)
        let back = BQ78350DataFlash.decode(try bus.dataFlash(a).prefix(size), signed ? (size == 1 ? .i1 : .i2) : (size == 1 ? .u1 : size == 2 ? .u2 : .u4))
        driver.link.log(BMS_LOG_WARNING, "LC30: Data Flash \(Self.hex4(Int(a))) written with \(value), read back \(back)")
        guard back == value else { throw .http(500, "Data Flash \(Self.hex4(Int(a))) reads back \(back) after writing \(value)") }
        return ["ok": true, "address": Self.hex4(Int(a)), "written": value, "readback": ["value": back]]
    }

    func dfRaw(_ r: [String: Any]) throws(DriverError) -> [String: Any] {
        let a = try address(r)
        try requireUnsealed()
        let bytes = try bus.dataFlash(a)
        return ["ok": true, "address": Self.hex4(Int(a)), "length": bytes.count, "bytes": bytes.map { Int($0) },
                "hex": bytes.map { String(format: "%02X", $0) }.joined(separator: " ")]
    }

    // MARK: security

    func key(_ r: [String: Any], _ name: String) throws(DriverError) -> UInt16 {
        let text = (r[name] as? String) ?? (r[name] as? Int).map { String($0) } ?? ""
        guard let v = DriverOptions.parseInteger(text), (0...0xFFFF).contains(v) else { throw .http(400, "give \(name) as a 16-bit value like 0x0414") }
        return UInt16(v)
    }

    func securitySet(_ r: [String: Any]) throws(DriverError) -> [String: Any] {
        guard driver.allowWrites else { throw .http(403, "writes are off for this pack: set allow_writes: true in its config") }
        let action = r["action"] as? String ?? ""
        let before = try securityMode()
        switch action {
        case "seal":
            try bus.macWord(0x0030)
        case "unseal", "full_access":
            let k1 = try key(r, "key1"), k2 = try key(r, "key2")
            try bus.macWord(k1)
            try bus.macWord(k2)
        default:
            throw .http(400, "action must be seal, unseal or full_access")
        }
        let after = try securityMode()
        driver.link.log(BMS_LOG_WARNING, "LC30: security \(action): \(before) -> \(after)")
        let wanted = ["seal": "SEALED", "unseal": "UNSEALED", "full_access": "FULL_ACCESS"][action]!
        guard after == wanted else { throw .http(403, "\(action) refused: the gauge is \(after) (wrong keys?)") }
        return ["ok": true, "action": action, "security": ["mode": after]]
    }
}
