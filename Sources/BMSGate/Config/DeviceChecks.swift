import Foundation

/// What `check` refuses about the devices a site uses, because it breaks only at run time:
/// one serial device (or CAN interface) for two sinks, a sink on a BMS bus's own device,
/// two buses on one serial device, an empty device path, a directory as a device, a CAN
/// interface name longer than the kernel's 15 characters.
enum DeviceChecks {
    /// A device a sink writes to, and what to call it in a message.
    struct Use {
        var device: String
        var what: String
        var location: SourceLocation
    }

    static func issues(buses: [BusConfig], sinks: [SinkConfig]) -> [ConfigIssue] {
        var out: [ConfigIssue] = []
        // Buses: serial and I2C device paths (TCP, BLE and simulated lines share nothing).
        var busDevices: [String: BusConfig] = [:]
        for bus in buses where bus.settings is SerialSettings || bus.settings is I2CBusSettings {
            let device = bus.device
            if let problem = pathProblem(device) {
                out.append(ConfigIssue(bus.location, "bus '\(bus.id)': \(problem)"))
                continue
            }
            let key = canonical(device)
            if let other = busDevices[key] {
                out.append(ConfigIssue(bus.location, "buses '\(other.id)' and '\(bus.id)' both use \(device): one line is one bus (list every pack on it under one bus)"))
            } else {
                busDevices[key] = bus
            }
        }
        // Sinks: their serial devices and CAN interfaces.
        var sinkDevices: [String: Use] = [:]
        for sink in sinks {
            guard let use = (sink.settings as? any DeviceUser)?.deviceUse else { continue }
            if use.isInterface {
                if use.device.utf8.count > 15 {
                    out.append(ConfigIssue(sink.location, "CAN interface '\(use.device)' is longer than the kernel's 15 characters"))
                }
            } else if let problem = pathProblem(use.device) {
                out.append(ConfigIssue(sink.location, "the \(sink.typeName) sink: \(problem)"))
                continue
            }
            let key = (use.isInterface ? "can:" : "") + (use.isInterface ? use.device : canonical(use.device))
            if let bus = busDevices[key] {
                out.append(ConfigIssue(sink.location, "the \(sink.typeName) sink uses \(use.device), which is bus '\(bus.id)' (\(bus.location)): its frames would go onto the BMS line and its packs go offline"))
            }
            if let other = sinkDevices[key] {
                out.append(ConfigIssue(sink.location, "the \(sink.typeName) sink and the \(other.what) sink (\(other.location)) both use \(use.device): one device carries one link"))
            } else {
                sinkDevices[key] = Use(device: use.device, what: sink.typeName, location: sink.location)
            }
        }
        return out
    }

    /// Why `path` cannot be a device, or nil (a path that does not exist yet is fine: an
    /// adapter may be plugged in later).
    static func pathProblem(_ path: String) -> String? {
        if path.trimmingCharacters(in: .whitespaces).isEmpty { return "the device path is empty" }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return "\(path) is a directory, not a device"
        }
        return nil
    }

    /// The path with symlinks resolved when it exists (two names for one port are one port).
    static func canonical(_ path: String) -> String {
        FileManager.default.fileExists(atPath: path) ? URL(fileURLWithPath: path).resolvingSymlinksInPath().path : path
    }
}

/// A sink that holds a serial device or a CAN interface for itself.
protocol DeviceUser {
    var deviceUse: (device: String, isInterface: Bool)? { get }
}

extension CANSinkSettings: DeviceUser {
    var deviceUse: (device: String, isInterface: Bool)? {
        switch link {
        case .device(let path, _): (path, false)
        case .interface(let name): (name, true)
        case .simulated: nil
        }
    }
}

extension PylonRS485Settings: DeviceUser {
    var deviceUse: (device: String, isInterface: Bool)? {
        if case .device(let path, _) = link { return (path, false) }
        return nil
    }
}
