import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging

/// The `prometheus` sink: every `interval`, POSTs the same text `/metrics` serves to a
/// Pushgateway (`<url>/metrics/job/<job>`) or a VictoriaMetrics import URL, like ubmsc's
/// push mode. A failing target is logged once per outage; pushing never blocks polling.
public final class PrometheusPushSink: Sink {
    public let name: String
    let settings: PrometheusPushSettings
    let access: GatewayAccess
    let logger: Logger
    private var last: Date?
    private var failing = false
    /// Pushes that succeeded / failed.
    public private(set) var pushed = 0, failed = 0

    /// A push sink to `settings.target`.
    public init(settings: PrometheusPushSettings, access: GatewayAccess, logger: Logger) {
        self.settings = settings
        self.access = access
        self.logger = logger
        name = "prometheus push \(settings.target)"
    }

    public func write(_ snapshot: Snapshot) {
        if let last, snapshot.time.timeIntervalSince(last) < settings.interval.seconds { return }
        last = snapshot.time
        push(SiteMetrics.text(snapshot, sinks: access.sinkHealth))
    }

    func push(_ text: String) {
        guard let url = URL(string: settings.target) else { return }
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.httpMethod = "POST"
        request.setValue("text/plain; version=0.0.4", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(text.utf8)
        let done = DispatchSemaphore(value: 0)
        let outcome = Locked<String?>(nil)
        URLSession.shared.dataTask(with: request) { _, response, error in
            if let error {
                outcome.set(error.localizedDescription)
            } else if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                outcome.set("HTTP \(http.statusCode)")
            }
            done.signal()
        }.resume()
        if done.wait(timeout: .now() + 15) == .timedOut { outcome.set("no answer within 15 s") }
        if let problem = outcome.value {
            failed += 1
            if !failing { logger.warning("prometheus push to \(settings.target) failed: \(problem) (retrying every \(Int(settings.interval.seconds)) s)") }
            failing = true
        } else {
            pushed += 1
            if failing { logger.info("prometheus push to \(settings.target) works again") }
            failing = false
        }
    }

    public func close() {}

}
