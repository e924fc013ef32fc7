extension MQTTSinkSettings: SinkSettings {
    public static let type = "mqtt"

    // The sink keeps its own bounded outbox for an unreachable broker (`queue:` sizes that);
    // the runner's queue only decouples it from the publisher.
    static let registration = SinkRegistration(MQTTSinkSettings.self, keys: MQTTParsing.keys, runnerQueue: false) { section, d in
        MQTTParsing.settings(section, d)
    } make: { m, c in
        try MQTTSink(settings: m, site: c.config.site, logger: c.logger, control: c.site)
    }

    public func problems(in site: SiteConfig) -> [(message: String, at: SourceLocation?)] {
        if site.site.contains("/") { return [("the site name is one MQTT topic level and must not contain /", site.siteLocation)] }
        if let problem = MQTTParsing.topicProblem(site.site) {
            return [("the site name is a level of every MQTT topic and \(problem)", site.siteLocation)]
        }
        return []
    }
}
