import Foundation
import Logging

/// The `modbus-tcp` sink: every snapshot moves the banks' heartbeats and is left with the
/// server; the first client read after it encodes the registers of what changed (so a
/// site publishing 64 readings a second to an inverter polling once a second encodes once
/// a second, and a value is readable as soon as it is published). A new image is swapped
/// in whole while other connections keep answering from the previous one. Serving never
/// waits on polling (the server has its own threads) and polling never waits on clients.
public final class ModbusTCPSink: Sink {
    public let name: String
    /// The server (its port is the bound one).
    public let server: ModbusTCPServer
    let builder: ModbusImageBuilder
    let settings: ModbusSinkSettings
    let banks: [BankConfig]
    /// The stall rule's bound: the shortest `InverterCommand.maximumAge` of the banks.
    let maximumAgeMs: UInt64
    let clock: any GatewayClock

    /// Binds and starts serving `initial` (typically the site before any reading: every
    /// bank offline, limits 0 A). Throws when the address cannot be bound.
    public init(settings: ModbusSinkSettings, banks: [BankConfig], initial: Snapshot, logger: Logger,
                clock: any GatewayClock = SystemClock()) throws {
        builder = ModbusImageBuilder(settings: settings, banks: banks)
        self.settings = settings
        self.banks = banks
        self.clock = clock
        maximumAgeMs = UInt64((banks.map { InverterCommand.maximumAge(staleAfter: $0.staleAfter) }.min() ?? .seconds(11)).milliseconds)
        server = ModbusTCPServer(host: settings.host, port: settings.port, policy: settings.connections,
                                 idleTimeout: settings.idleTimeout, image: builder.image(initial), logger: logger, clock: clock)
        try server.start()
        name = "modbus-tcp \(settings.host):\(server.port) (\(settings.map.rawValue))"
    }

    public func write(_ snapshot: Snapshot) {
        builder.advance(to: snapshot)
        let builder = self.builder
        server.update { builder.render(snapshot) }
        // Should no newer snapshot come in time, reads get every bank's gateway-stalled
        // command (0 A, nothing enabled), rendered once by a builder of its own.
        let (settings, banks) = (self.settings, self.banks)
        server.stall(after: clock.nowMs() + maximumAgeMs) {
            ModbusImageBuilder(settings: settings, banks: banks).image(snapshot.withStalledCommands)
        }
    }

    /// Writing is a heartbeat step and a swap under a lock: no waiting on clients.
    public var writesInline: Bool { true }

    public func close() {
        server.stop()
    }

    public var counters: [SinkCounter] {
        let s = server.stats
        return SinkCounter.connections(open: s.open, accepted: s.accepted, evicted: s.evicted, refused: s.refused) + [
            SinkCounter("modbus_answers_total", "Requests answered with data", Double(s.answered)),
            SinkCounter("modbus_exceptions_total", "Requests answered with a Modbus exception", Double(s.exceptions)),
            SinkCounter("modbus_malformed_total", "Connections closed for a malformed frame", Double(s.malformed)),
        ]
    }
}
