import BMSGate
import Foundation

/// A byte transport whose device is a Swift closure: each write is answered with what
/// `respond` returns (bytes, silence or a transport failure). Counts opens and keeps every
/// write, so tests can see what a driver sent and how often the host reopened.
public final class ScriptedTransport: ByteTransport, @unchecked Sendable {
    /// The device's answer to one write.
    public enum Reply: Sendable {
        case bytes([UInt8])
        case silence
        case fail(String)
    }

    private let condition = MonotonicCondition()
    private var pending: [UInt8] = []
    private var open_ = false
    private var respond: @Sendable ([UInt8]) -> Reply
    private var openFailure: String?
    private var opens_ = 0
    private var written: [[UInt8]] = []

    /// A device answering with `respond`.
    public init(respond: @escaping @Sendable ([UInt8]) -> Reply) { self.respond = respond }

    /// Replaces the device's behaviour (thread-safe).
    public func setResponder(_ respond: @escaping @Sendable ([UInt8]) -> Reply) { condition.withLock { self.respond = respond } }
    /// Makes `open()` fail with `reason` (nil: succeed).
    public func failOpens(_ reason: String?) { condition.withLock { openFailure = reason } }
    /// How many times the transport was opened.
    public var opens: Int { condition.withLock { opens_ } }
    /// Every write so far.
    public var writes: [[UInt8]] { condition.withLock { written } }

    public var endpoint: String { "scripted" }
    public var isOpen: Bool { condition.withLock { open_ } }

    public func open() throws(TransportError) {
        let failure: String? = condition.withLock {
            if let f = openFailure { return f }
            open_ = true
            opens_ += 1
            return nil
        }
        if let failure { throw TransportError(failure) }
    }

    public func close() { condition.withLock { open_ = false; pending.removeAll() } }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        let data = Array(bytes.bindMemory(to: UInt8.self))
        let reply: Reply = condition.withLock {
            written.append(data)
            return respond(data)
        }
        switch reply {
        case .bytes(let b): condition.withLock { pending += b; condition.broadcast() }
        case .silence: break
        case .fail(let reason):
            condition.withLock { open_ = false }
            throw TransportError(reason)
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeoutMs: Int) throws(TransportError) -> Int {
        condition.withLock {
            let deadline = MonotonicClock.nowMs() + UInt64(max(0, timeoutMs))
            while pending.isEmpty && MonotonicClock.nowMs() < deadline { condition.wait(untilMs: deadline) }
            let n = min(pending.count, buffer.count)
            for i in 0..<n { buffer[i] = pending[i] }
            pending.removeFirst(n)
            return n
        }
    }

    public func discardInput() { condition.withLock { pending.removeAll() } }
}
