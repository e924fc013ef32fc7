import CBMSDriver
import Foundation

/// Finds and loads driver plugins. Search order: the config's `plugin_dirs`,
/// `$BMSGATE_PLUGIN_PATH` (colon-separated), the executable's folder, then
/// `/usr/local/lib/bmsgate/drivers`. Only regular files named `libbmsdriver-<name>.so`
/// are tried (so no other library in those folders is ever dlopen()ed); a file that fails
/// is reported with its reason and the others still load. Plugins are never unloaded.
public enum DriverLoader {
    /// The default system folder.
    public static let systemDirectory = "/usr/local/lib/bmsgate/drivers"
    /// Plugin file names start with this and end with `.so`.
    public static let filePrefix = "libbmsdriver-"

    /// True when `name` follows the plugin naming convention (`libbmsdriver-<name>.so`).
    public static func isPluginFileName(_ name: String) -> Bool {
        name.hasPrefix(filePrefix) && name.hasSuffix(".so") && name.count > filePrefix.count + 3
    }

    /// The folders to search, in order, without duplicates.
    public static func searchPath(pluginDirs: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
                                  executableDirectory: String? = executableDirectory()) -> [String] {
        var dirs = pluginDirs
        if let env = environment["BMSGATE_PLUGIN_PATH"] { dirs += env.split(separator: ":").map(String.init) }
        if let exe = executableDirectory { dirs.append(exe) }
        dirs.append(systemDirectory)
        var seen = Set<String>()
        return dirs.filter { !$0.isEmpty && seen.insert(URL(fileURLWithPath: $0).standardizedFileURL.path).inserted }
    }

    /// The folder of the running executable.
    public static func executableDirectory() -> String? {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            return Bundle.main.executablePath.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
        }
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }

    /// Loads every plugin in `directories`. `check`, when given, tries each plugin first in a
    /// way that cannot take this process down (a child process) and returns why it must not
    /// be loaded, or nil.
    public static func load(directories: [String], check: ((String) -> String?)? = nil) -> DriverCatalog {
        var catalog = DriverCatalog(drivers: [], failures: [], searched: directories, ignored: [])
        for dir in directories {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for name in names.sorted() where name.hasSuffix(".so") {
                let path = (dir as NSString).appendingPathComponent(name)
                guard isPluginFileName(name) else {
                    catalog.ignored.append(path)
                    continue
                }
                var info = stat()
                guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                    catalog.failures.append(DriverLoadFailure(path: path, reason: "not a regular file (a plugin is a shared object file)"))
                    continue
                }
                if let problem = ELFCheck.problem(path) ?? check?(path) {
                    catalog.failures.append(DriverLoadFailure(path: path, reason: problem))
                    continue
                }
                switch loadOne(path: path) {
                case .success(let driver):
                    if let first = catalog.driver(driver.id) {
                        catalog.failures.append(DriverLoadFailure(
                            path: path, reason: "duplicate driver id '\(driver.id)': already loaded from \(first.path); this one is ignored"))
                    } else {
                        catalog.drivers.append(driver)
                    }
                case .failure(let failure):
                    catalog.failures.append(failure)
                }
            }
        }
        return catalog
    }

    /// Loads one file.
    public static func loadOne(path: String) -> Result<LoadedDriver, DriverLoadFailure> {
        func fail(_ reason: String) -> Result<LoadedDriver, DriverLoadFailure> { .failure(DriverLoadFailure(path: path, reason: reason)) }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let why = dlerror().map { String(cString: $0) } ?? "unknown error"
            return fail("not a loadable shared object: \(why)")
        }
        // Never dlclose: Swift runtimes and metadata in a plugin cannot be unloaded safely.
        guard let symbol = dlsym(handle, BMS_DRIVER_ENTRY_SYMBOL) else {
            return fail("not a bmsgate driver: no '\(BMS_DRIVER_ENTRY_SYMBOL)' symbol")
        }
        let entry = unsafeBitCast(symbol, to: bms_driver_entry_fn.self)
        guard let table = entry(UInt32(BMS_ABI_MAJOR)) else {
            return fail("the driver refused host ABI \(BMS_ABI_MAJOR) (its entry returned NULL)")
        }
        let size = Int(table.pointee.struct_size)
        guard size >= MemoryLayout<UInt32>.size * 3 else { return fail("driver table struct_size \(size) is too small") }
        guard table.pointee.abi_major == UInt32(BMS_ABI_MAJOR) else {
            return fail("driver speaks ABI major \(table.pointee.abi_major), this host speaks \(BMS_ABI_MAJOR)")
        }
        let minimum = MemoryLayout<bms_driver>.offset(of: \.emulator)!  // up to and including `close`: ABI 1.0's operations
        guard size >= minimum else { return fail("driver table struct_size \(size) is smaller than ABI 1.0's \(minimum)") }
        guard let idPointer = table.pointee.id else { return fail("driver table has no id") }
        let id = String(cString: idPointer)
        let valid = !id.isEmpty && id.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
        guard valid else { return fail("driver id '\(id)' must be lower-case letters, digits and '-'") }
        guard table.pointee.open != nil, table.pointee.poll != nil, table.pointee.close != nil else {
            return fail("driver '\(id)' lacks a required operation (open, poll and close are required)")
        }
        return .success(LoadedDriver(table: table, path: path))
    }
}
