import Foundation

/// Tries a plugin in a short-lived child process (`bmsgate probe-plugin PATH`) before the
/// host loads it: a plugin whose constructor or entry crashes, aborts, exits or hangs is
/// reported with the reason and left out, and the host keeps running with the others.
public enum PluginProbe {
    /// Exit status of the probe when the loader refused the plugin in the ordinary way (the
    /// host then reports the loader's own reason).
    public static let refused: Int32 = 2

    /// A check for `DriverLoader.load(check:)` that runs `executable probe-plugin PATH`.
    public static func check(executable: String, timeout: Double = 10) -> (String) -> String? {
        { path in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = ["probe-plugin", path]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            do { try p.run() } catch { return nil }  // cannot probe: load as before
            let deadline = MonotonicClock.nowMs() + UInt64(timeout * 1000)
            while p.isRunning && MonotonicClock.nowMs() < deadline { MonotonicClock.sleep(ms: 5) }
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
                return "the plugin hung while loading (killed after \(Int(timeout)) s); not loaded"
            }
            switch (p.terminationReason, p.terminationStatus) {
            case (.uncaughtSignal, let sig):
                let name = String(cString: strsignal(sig))
                return "the plugin crashed while loading (signal \(sig): \(name)); not loaded"
            case (.exit, 0), (.exit, refused):
                return nil
            case (.exit, let status):
                return "the plugin ended the process while loading (exit status \(status)); not loaded"
            @unknown default:
                return nil
            }
        }
    }
}
