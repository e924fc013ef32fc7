import Prometheus

/// The whole site as Prometheus metrics for `/metrics` and pushes: every pack's metrics
/// (PackMetrics) labelled site/pack, every bank's aggregate and limits labelled site/bank,
/// and the gateway's own: poll duration per pack, snapshots dropped per sink.
public enum SiteMetrics {
    /// The exposition text of `snapshot`, with each sink's dropped snapshots and counters.
    public static func text(_ snapshot: Snapshot, sinks: [SinkHealth] = []) -> String {
        let registry = PrometheusCollectorRegistry()
        for p in snapshot.packs {
            let labels = [("site", snapshot.site), ("pack", p.id)]
            PackMetrics.record(p, labels: labels, into: registry)
            gauge(registry, "poll_duration_seconds", "Duration of the last poll cycle (retries included), s", p.counters.lastPollSeconds, labels)
        }
        for b in snapshot.banks {
            let labels = [("site", snapshot.site), ("bank", b.id)]
            gauge(registry, "bank_online_packs", "Packs of the bank with fresh data", Double(b.onlinePacks.count), labels)
            gauge(registry, "bank_packs", "Packs of the bank", Double(b.packs.count), labels)
            for (field, value) in FieldCatalog.bank { gauge(registry, field.metric, field.help, value(b), labels) }
            for (field, value) in FieldCatalog.limits { gauge(registry, field.metric, field.help, value(b.command.limits), labels) }
            for phase in ChargePhase.allCases {
                gauge(registry, "bank_charge_phase", "1 for the bank's charge phase now (bulk, absorption, float; stopped: a failsafe)",
                      b.command.phase == phase ? 1 : 0, labels + [("phase", phase.rawValue)])
            }
            if let since = b.command.phaseInfo.since {
                gauge(registry, "bank_charge_phase_seconds", "How long the bank has been in its charge phase, s",
                      max(0, snapshot.time.timeIntervalSince(since)).rounded(), labels)
            }
            if let full = b.command.phaseInfo.lastFullCharge {
                gauge(registry, "bank_last_full_charge_timestamp_seconds", "When absorption last ended with the bank full (Unix time)",
                      full.timeIntervalSince1970.rounded(), labels)
            }
            for alarm in CanonicalAlarm.allCases {
                gauge(registry, "bank_alarm", "1 while the canonical alarm is active in the bank", b.alarms.contains(alarm) ? 1 : 0,
                      labels + [("alarm", alarm.rawValue)])
            }
        }
        var sinkHelps: [String: String] = [:]
        var sinkKinds: [String: SinkCounter.Kind] = [:]
        for sink in sinks {
            let labels = [("site", snapshot.site), ("sink", sink.name)]
            let c = registry.makeCounter(descriptor: PackMetrics.descriptor("sink_dropped_snapshots_total", "Snapshots a sink dropped because it fell behind"),
                                         labels: labels)
            c.increment(by: Double(sink.droppedSnapshots))
            for counter in sink.counters {
                // One metric name has one help text and one type in the exposition (the
                // registry traps otherwise): the first sink to report a name sets them.
                let name = "sink_" + counter.name
                if let kind = sinkKinds[name], kind != counter.kind { continue }
                sinkKinds[name] = counter.kind
                let help = sinkHelps[name] ?? counter.help
                sinkHelps[name] = help
                let descriptor = PackMetrics.descriptor(name, help)
                switch counter.kind {
                case .counter: registry.makeCounter(descriptor: descriptor, labels: labels).increment(by: counter.value)
                case .gauge: registry.makeGauge(descriptor: descriptor, labels: labels).set(counter.value)
                }
            }
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    static func gauge(_ registry: PrometheusCollectorRegistry, _ name: String, _ help: String, _ value: Double?, _ labels: [(String, String)]) {
        guard let value, value.isFinite else { return }
        registry.makeGauge(descriptor: PackMetrics.descriptor(name, help), labels: labels).set(value)
    }
}
