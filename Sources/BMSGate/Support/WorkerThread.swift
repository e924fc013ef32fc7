import CHostSupport
import Foundation

/// A named OS thread running one body, that can be joined: the one place the gateway starts
/// threads (a bus, a sink, an inverter link, the Modbus accept loop and its connections, the
/// MQTT network loop, an emulator). Blocking I/O belongs on such a thread, never on the
/// cooperative pool.
public final class WorkerThread: @unchecked Sendable {
    /// The thread's name (shown by debuggers and `top -H`).
    public let name: String
    private let body: @Sendable () -> Void
    private let stackSize: Int?
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var started = false
    private var joined = false

    /// A thread named `name` that will run `body` once started (with `stackSize` bytes of
    /// stack, else the system's default).
    public init(name: String, stackSize: Int? = nil, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.stackSize = stackSize
        self.body = body
    }

    /// Starts a thread nobody joins (a client connection's, an emulator's reader).
    public static func detach(name: String, stackSize: Int? = nil, body: @escaping @Sendable () -> Void) {
        WorkerThread(name: name, stackSize: stackSize, body: body).start()
    }

    /// Starts the thread (once; later calls do nothing).
    public func start() {
        let first = lock.withLock { () -> Bool in
            defer { started = true }
            return !started
        }
        guard first else { return }
        let t = Thread { [name, body, done] in
            // The kernel's name (15 bytes) too, so `top -H` and perf tell the threads apart.
            _ = bmsgate_thread_name(name)
            body()
            done.signal()
        }
        t.name = name
        if let stackSize { t.stackSize = stackSize }
        t.start()
    }

    /// Waits until the body has returned, at most `timeout` (forever when nil). True when it
    /// has returned (or the thread never started).
    @discardableResult
    public func join(timeout: Duration? = nil) -> Bool {
        let waiting = lock.withLock { started && !joined }
        guard waiting else { return true }
        let ok: Bool
        if let timeout {
            ok = done.wait(timeout: .now() + .milliseconds(Int(max(0, timeout.milliseconds)))) == .success
        } else {
            done.wait()
            ok = true
        }
        if ok { lock.withLock { joined = true } }
        return ok
    }
}
