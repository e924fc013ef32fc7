import Foundation

/// Reads secrets (passwords, tokens) from where the config says; errors name the source,
/// never the value.
public enum SecretReader {
    /// Why a secret could not be read.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The secret: an environment variable's value, or a file's first line.
    public static func read(_ source: SecretSource, environment: [String: String] = ProcessInfo.processInfo.environment) throws(Failure) -> String {
        switch source {
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else {
                throw Failure(description: "environment variable \(name) is not set (it holds the secret)")
            }
            return value
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw Failure(description: "cannot read the secret file \(path)")
            }
            let text = String(decoding: data, as: UTF8.self)
            // "\r\n" is one Character in Swift: split on any newline.
            let secret = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).first.map(String.init) ?? ""
            guard !secret.isEmpty else { throw Failure(description: "the secret file \(path) is empty") }
            return secret
        }
    }
}
