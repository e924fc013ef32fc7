/// `HOST:PORT` as written in the site file: `0.0.0.0:502`, `[::]:502`, `localhost:5020`,
/// `:502` (any address), a bare port `8080` (the sink's default host) or a bare host (the
/// default port). A nil host means "not given".
enum ListenAddress {
    static func parse(_ text: String) -> (host: String?, port: Int?)? {
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            guard let port = Int(text), (0...65535).contains(port) else { return nil }
            return (nil, port)
        }
        var host = text
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        }
        if host.isEmpty { host = "0.0.0.0" }
        guard let portText else { return (host, nil) }
        guard let port = Int(portText), (0...65535).contains(port) else { return nil }
        return (host, port)
    }
}

extension YAMLSection {
    /// The `listen` value of a listening sink as (host, port), `defaultPort` when only a host
    /// is given; nil (and an error at the value, with `examples`) when it is not HOST:PORT.
    func listen(sink: String, defaultHost: String, defaultPort: Int, examples: String) -> (host: String, port: Int)? {
        guard let v = value("listen") else { return nil }
        guard let text = v.string, let (host, port) = ListenAddress.parse(text) else {
            diagnostics.report(v, "'listen' of the \(sink) sink must be HOST:PORT like \(examples)")
            return nil
        }
        return (host ?? defaultHost, port ?? defaultPort)
    }
}
