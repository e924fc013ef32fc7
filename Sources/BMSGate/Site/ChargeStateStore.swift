import Foundation
import Logging

/// Each bank's charge state in the state directory (`charge-<bank>.json`), read once at
/// start and written when it changes, off the polling path (its own serial queue), each
/// file replaced whole (written beside it, then renamed): a crash leaves the old file or the
/// new one, never half of one.
public final class ChargeStateStore: Sendable {
    let directory: String
    let logger: Logger
    private let queue = DispatchQueue(label: "bmsgate.charge-state", qos: .utility)
    /// What was last written (or read) per bank.
    private let saved = Locked<[String: ChargeState]>([:])

    /// A store in `directory` (created when missing).
    public init(directory: String, logger: Logger) {
        self.directory = directory
        self.logger = logger
    }

    /// The file of `bank`.
    func path(_ bank: String) -> String { directory + "/charge-" + bank.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? String($0) : "_" }.joined() + ".json" }

    /// The state kept for `bank`, or nil (missing or unreadable: said in the log, the bank
    /// starts in bulk).
    public func load(bank: String) -> ChargeState? {
        let file = path(bank)
        guard FileManager.default.fileExists(atPath: file) else {
            logger.info("bank \(bank): no charge state in \(file) yet; starting in bulk")
            return nil
        }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let state = try decoder.decode(ChargeState.self, from: data)
            guard state.version == 1, ChargePhase(rawValue: state.phase) != nil else {
                logger.warning("bank \(bank): \(file) holds a charge state this version cannot read; starting in bulk")
                return nil
            }
            saved.update { $0[bank] = state }
            logger.info("bank \(bank): charge state restored from \(file): \(state.phase)")
            return state
        } catch {
            logger.warning("bank \(bank): \(file) is unreadable (\(error)); starting in bulk")
            return nil
        }
    }

    /// Writes `state` for `bank` when it differs from what was last written.
    public func save(bank: String, _ state: ChargeState) {
        let changed = saved.update { saved -> Bool in
            guard saved[bank] != state else { return false }
            saved[bank] = state
            return true
        }
        guard changed else { return }
        let file = path(bank), directory = self.directory, logger = self.logger
        queue.async {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let encoder = JSONEncoder()
                encoder.dateEncodingStrategy = .iso8601
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(state).write(to: URL(fileURLWithPath: file), options: .atomic)
            } catch {
                logger.error("bank \(bank): cannot write the charge state to \(file): \(error)")
            }
        }
    }

    /// Waits until every write queued so far is done.
    public func flush() { queue.sync {} }
}
