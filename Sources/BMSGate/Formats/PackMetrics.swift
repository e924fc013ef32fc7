import Prometheus

/// Pack readings as Prometheus metrics (text exposition through swift-prometheus): every
/// numeric Reading field a gauge (cycles and poll counters counters), cells and
/// temperature probes per `cell`/`sensor` label, every canonical alarm 0/1, numeric extras
/// per `name`, identity as an info metric. `labels` name the pack (`device` for
/// `bmsgate read`, site/pack for the HTTP `/metrics`).
public enum PackMetrics {
    /// Adds `pack`'s metrics to `registry`.
    public static func record(_ pack: PackStatus, labels: [(String, String)], into registry: PrometheusCollectorRegistry) {
        func gauge(_ name: String, _ help: String, _ value: Double?, _ extra: [(String, String)] = []) {
            guard let value, value.isFinite else { return }
            registry.makeGauge(descriptor: descriptor(name, help), labels: labels + extra).set(value)
        }
        func counter(_ name: String, _ help: String, _ value: Double?) {
            guard let value, value.isFinite, value >= 0 else { return }
            registry.makeCounter(descriptor: descriptor(name, help), labels: labels).increment(by: value)
        }
        gauge("online", "1 while the pack has fresh data", pack.online ? 1 : 0)
        let c = pack.counters
        counter("polls_total", "Poll cycles started", Double(c.polls))
        counter("polls_ok_total", "Poll cycles that returned a reading", Double(c.ok))
        counter("poll_timeouts_total", "Attempts that timed out", Double(c.timeouts))
        counter("checksum_errors_total", "Attempts with a checksum or CRC error", Double(c.checksumErrors))
        counter("poll_errors_total", "Other failed attempts", Double(c.errors))
        counter("transport_reopens_total", "Times the transport was reopened", Double(c.reopens))
        guard let r = pack.reading else { return }
        for (field, value) in FieldCatalog.pack {
            switch field.kind {
            case .gauge: gauge(field.metric, field.help, value(r))
            case .counter: counter(field.metric, field.help, value(r))
            }
        }
        let cell = FieldCatalog.cell, probe = FieldCatalog.temperature
        for (i, v) in r.cells.enumerated() {
            gauge(cell.metric, cell.help, v, [("cell", "\(i + 1)")])
            gauge("cell_balancing", "1 while the cell is being balanced", r.balancing.contains(i + 1) ? 1 : 0, [("cell", "\(i + 1)")])
        }
        for (i, t) in r.temperatures.enumerated() {
            gauge(probe.metric, probe.help, t, [("sensor", "\(i + 1)")])
        }
        gauge("charge_enabled", "1 while the BMS allows charging", r.chargeEnabled.map { $0 ? 1 : 0 })
        gauge("discharge_enabled", "1 while the BMS allows discharging", r.dischargeEnabled.map { $0 ? 1 : 0 })
        for alarm in CanonicalAlarm.packAlarms {
            gauge("alarm", "1 while the canonical alarm is active", r.alarms.contains(alarm) ? 1 : 0, [("alarm", alarm.rawValue)])
        }
        for (name, value) in r.extras {
            if case .number(let n) = value { gauge("extra", "Driver-specific values (extras of the Reading JSON)", n, [("name", name)]) }
        }
        let id = r.identity
        gauge("info", "Pack identity (value is always 1)", 1,
              [("driver", r.driver), ("model", id.model), ("serial", id.serial), ("firmware", id.firmware),
               ("hardware", id.hardware), ("manufacturer", id.manufacturer)])
    }

    /// `bmsgate_<name>` (the unit is part of `name`, e.g. `voltage_volts`).
    static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "bmsgate", metricName: name, unitName: "", helpText: help)
    }

    /// The exposition text of `packs`, labelled by `device` (the pack id), as `bmsgate read` prints it.
    public static func text(_ packs: [PackStatus]) -> String {
        let registry = PrometheusCollectorRegistry()
        for p in packs { record(p, labels: [("device", p.id)], into: registry) }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
