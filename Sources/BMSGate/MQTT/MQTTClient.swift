import CMosquitto
import Foundation
import Logging

/// One message to publish.
public struct MQTTMessage: Sendable, Equatable {
    public var topic: String
    public var payload: String
    public var qos: Int
    public var retain: Bool

    /// A message.
    public init(topic: String, payload: String, qos: Int, retain: Bool) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}

/// Why the MQTT client could not be set up.
public struct MQTTSetupError: Error, CustomStringConvertible {
    public var description: String
}

/// A libmosquitto client with its own network thread: connects, keeps the connection
/// (keepalive), reconnects with a doubling backoff (1 s up to `reconnectMax`) and logs
/// each outage once. `publish` never blocks: it hands the packet to libmosquitto, whose
/// network thread writes it; when not connected it returns false and the caller keeps
/// the message. QoS 1/2 messages already handed over are resent by libmosquitto after a
/// reconnect.
public final class MQTTClient: @unchecked Sendable {
    /// Host and port, for logs.
    public let endpoint: String
    private let settings: MQTTSinkSettings
    private let handle: OpaquePointer
    private let logger: Logger
    private let condition = MonotonicCondition()
    private var connected = false
    private var stopping = false
    private var thread: WorkerThread?
    private var refusal: String?
    /// Failed attempts of the current outage (network thread only).
    private var failures = 0
    /// Messages handed to libmosquitto and not yet acknowledged (QoS 1/2) or sent (QoS 0).
    private var outstanding = 0
    /// Called on the network thread after every successful connect (CONNACK accepted).
    private let onConnect: @Sendable () -> Void
    /// Called on the network thread for every message of a subscription.
    private let onMessage: @Sendable (String, String) -> Void

    /// Successful connects so far.
    public private(set) var connects = 0

    private static let libraryReady: Bool = { mosquitto_lib_init() == MOSQ_ERR_SUCCESS.rawValue }()

    /// A client for `settings` (password already resolved) with a last will; does not
    /// connect yet.
    public init(settings: MQTTSinkSettings, clientId: String, password: String?, will: MQTTMessage?, logger: Logger,
                onConnect: @escaping @Sendable () -> Void, onMessage: @escaping @Sendable (String, String) -> Void) throws {
        guard Self.libraryReady, let handle = mosquitto_new(clientId, true, nil) else {
            throw MQTTSetupError(description: "libmosquitto could not create a client (out of memory?)")
        }
        self.handle = handle
        self.settings = settings
        self.logger = logger
        self.onConnect = onConnect
        self.onMessage = onMessage
        endpoint = settings.host.contains(":") ? "[\(settings.host)]:\(settings.port)" : "\(settings.host):\(settings.port)"
        mosquitto_threaded_set(handle, true)
        // Room for a discovery burst in flight (the default window is 20 QoS 1 messages).
        _ = mosquitto_max_inflight_messages_set(handle, 200)
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        do {
            try configure(password: password, will: will)
        } catch {
            mosquitto_destroy(handle)
            throw error
        }
        mosquitto_connect_callback_set(handle) { _, obj, rc in
            guard let obj else { return }
            Unmanaged<MQTTClient>.fromOpaque(obj).takeUnretainedValue().connected(rc: rc)
        }
        mosquitto_publish_callback_set(handle) { _, obj, _ in
            guard let obj else { return }
            let me = Unmanaged<MQTTClient>.fromOpaque(obj).takeUnretainedValue()
            me.condition.withLock {
                me.outstanding = max(0, me.outstanding - 1)
                me.condition.broadcast()
            }
        }
        mosquitto_disconnect_callback_set(handle) { _, obj, _ in
            guard let obj else { return }
            Unmanaged<MQTTClient>.fromOpaque(obj).takeUnretainedValue().setConnected(false)
        }
        mosquitto_message_callback_set(handle) { _, obj, message in
            guard let obj, let message, let topic = message.pointee.topic else { return }
            let payload = message.pointee.payload.map {
                String(decoding: UnsafeRawBufferPointer(start: $0, count: Int(message.pointee.payloadlen)), as: UTF8.self)
            } ?? ""
            Unmanaged<MQTTClient>.fromOpaque(obj).takeUnretainedValue().onMessage(String(cString: topic), payload)
        }
    }

    deinit { mosquitto_destroy(handle) }

    private func configure(password: String?, will: MQTTMessage?) throws {
        if let username = settings.username {
            try check(mosquitto_username_pw_set(handle, username, password), "username/password")
        }
        if let tls = settings.tls {
            // nil CA file: the system's CA folder (Debian: /etc/ssl/certs).
            let caPath = tls.caFile == nil ? "/etc/ssl/certs" : nil
            try check(mosquitto_tls_set(handle, tls.caFile, caPath, tls.certFile, tls.keyFile, nil),
                      "TLS (ca_file \(tls.caFile ?? "-"), cert_file \(tls.certFile ?? "-"), key_file \(tls.keyFile ?? "-"))")
            if tls.insecure { try check(mosquitto_tls_insecure_set(handle, true), "TLS insecure") }
        }
        if let will {
            let bytes = Array(will.payload.utf8)
            try check(mosquitto_will_set(handle, will.topic, Int32(bytes.count), bytes, Int32(will.qos), will.retain), "last will")
        }
    }

    private func check(_ rc: Int32, _ what: String) throws {
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            throw MQTTSetupError(description: "\(what): \(Self.describe(rc))")
        }
    }

    /// libmosquitto's text for an error code (errno's text for MOSQ_ERR_ERRNO).
    static func describe(_ rc: Int32) -> String {
        if rc == MOSQ_ERR_ERRNO.rawValue { return String(cString: strerror(errno)) }
        return String(cString: mosquitto_strerror(rc))
    }

    /// True while a CONNACK was accepted and the connection has not dropped.
    public var isConnected: Bool { condition.withLock { connected } }

    /// Starts the network thread (connects in the background).
    public func start() {
        let t = WorkerThread(name: "mqtt \(endpoint)") { [self] in run() }
        thread = t
        t.start()
    }

    /// Hands a message to libmosquitto; false when not connected or refused (the caller
    /// keeps it for later).
    @discardableResult
    public func publish(_ message: MQTTMessage) -> Bool {
        guard isConnected else { return false }
        let bytes = Array(message.payload.utf8)
        condition.withLock { outstanding += 1 }
        let rc = mosquitto_publish(handle, nil, message.topic, Int32(bytes.count), bytes, Int32(message.qos), message.retain)
        if rc != MOSQ_ERR_SUCCESS.rawValue { condition.withLock { outstanding = max(0, outstanding - 1) } }
        if rc == MOSQ_ERR_PAYLOAD_SIZE.rawValue || rc == MOSQ_ERR_INVAL.rawValue || rc == MOSQ_ERR_MALFORMED_UTF8.rawValue {
            logger.error("mqtt \(endpoint): cannot publish to \(message.topic): \(Self.describe(rc))")
            return true  // never accepted, never retried
        }
        return rc == MOSQ_ERR_SUCCESS.rawValue
    }

    /// Subscribes (call from `onConnect`: subscriptions do not survive a reconnect of a
    /// clean session).
    public func subscribe(_ topic: String, qos: Int = 0) {
        _ = mosquitto_subscribe(handle, nil, topic, Int32(qos))
    }

    /// Publishes `final` (when connected), disconnects cleanly (so the broker does not send
    /// the last will) and joins the network thread, which writes the queued packets before
    /// it ends; waits at most about 2 s.
    public func stop(final: [MQTTMessage] = []) {
        if isConnected {
            for m in final { publish(m) }
            // DISCONNECT jumps ahead of messages still waiting for an in-flight slot: let
            // them be acknowledged first (bounded, the broker may be gone).
            condition.withLock {
                let until = MonotonicClock.nowMs() + 3000
                while outstanding > 0 && connected && condition.wait(untilMs: until) {}
            }
        }
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
        _ = mosquitto_disconnect(handle)
        thread?.join(timeout: .seconds(2))
        thread = nil
    }

    private func setConnected(_ value: Bool) {
        condition.withLock { connected = value }
    }

    private func connected(rc: Int32) {
        guard rc == 0 else {
            condition.withLock { refusal = String(cString: mosquitto_connack_string(rc)) }
            _ = mosquitto_disconnect(handle)
            return
        }
        condition.withLock {
            connected = true
            connects += 1
        }
        logger.info("mqtt \(endpoint): connected\(failures > 0 ? " after \(failures) failed attempt(s)" : "")")
        failures = 0
        onConnect()
    }

    private var isStopping: Bool { condition.withLock { stopping } }

    private func run() {
        var delay = 1.0
        while !isStopping {
            var rc = mosquitto_connect_async(handle, settings.host, Int32(settings.port), Int32(settings.keepalive.seconds.rounded()))
            let connectsBefore = condition.withLock { connects }
            if rc == MOSQ_ERR_SUCCESS.rawValue {
                // At a stop, keep looping while connected: the final messages and the
                // DISCONNECT are still to be written (libmosquitto then closes the socket).
                repeat { rc = mosquitto_loop(handle, 500, 1) } while rc == MOSQ_ERR_SUCCESS.rawValue && !(isStopping && !isConnected)
            }
            let reason = Self.describe(rc)
            let (wasUp, refused) = condition.withLock { () -> (Bool, String?) in
                defer { refusal = nil; connected = false }
                return (connects > connectsBefore, refusal)
            }
            if isStopping { break }
            if wasUp {
                delay = 1
                logger.warning("mqtt \(endpoint): connection lost (\(refused ?? reason)); reconnecting")
            } else {
                failures += 1
                let why = refused.map { "broker refused: \($0)" } ?? "cannot connect: \(reason)"
                if failures == 1 {
                    logger.warning("mqtt \(endpoint): \(why); retrying with backoff up to \(Int(settings.reconnectMax.seconds)) s (readings are queued)")
                } else {
                    logger.debug("mqtt \(endpoint): \(why) (attempt \(failures))")
                }
            }
            condition.withLock {
                let until = MonotonicClock.nowMs() + UInt64(delay * 1000)
                while !stopping && condition.wait(untilMs: until) {}
            }
            delay = min(delay * 2, settings.reconnectMax.seconds)
        }
    }
}
