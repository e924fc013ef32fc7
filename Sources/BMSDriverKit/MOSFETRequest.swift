import Foundation

/// The `mos` command drivers share: `{"op": "mos", "charge": false, "discharge": true,
/// "confirm": true}`. A switch not named keeps its state. Refused with the reason unless
/// the pack allows writes, at least one switch is named and the request is confirmed.
public struct MOSFETRequest: Sendable, Equatable {
    /// The charge MOSFET's new state, or nil to keep it.
    public var charge: Bool?
    /// The discharge MOSFET's new state, or nil to keep it.
    public var discharge: Bool?

    /// Parses and checks `json` for a pack whose writes are `allowWrites`.
    public init(json: String, allowWrites: Bool) throws(DriverError) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else {
            throw .invalid("the command must be a JSON object")
        }
        guard object["op"] as? String == "mos" else { throw .invalid("unknown op: use mos") }
        guard allowWrites else { throw .forbidden("writes are off for this pack: set allow_writes: true in its config") }
        charge = object["charge"] as? Bool
        discharge = object["discharge"] as? Bool
        guard charge != nil || discharge != nil else { throw .invalid("give \"charge\" and/or \"discharge\" (true = on)") }
        guard object["confirm"] as? Bool == true else { throw .invalid("switching MOSFETs needs \"confirm\": true") }
    }
}
