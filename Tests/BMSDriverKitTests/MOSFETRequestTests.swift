import BMSDriverKit
import Testing

/// The shared `mos` command: refused with the reason, unless writes are on, a switch is
/// named and the request is confirmed.
struct MOSFETRequestTests {
    @Test func parsesAndRefuses() throws {
        let r = try MOSFETRequest(json: #"{"op":"mos","charge":false,"confirm":true}"#, allowWrites: true)
        #expect(r.charge == false && r.discharge == nil)
        func refusal(_ json: String, writes: Bool = true) -> String? {
            do { _ = try MOSFETRequest(json: json, allowWrites: writes); return nil } catch { return error.message }
        }
        #expect(refusal("[1]") == "the command must be a JSON object")
        #expect(refusal(#"{"op":"set"}"#) == "unknown op: use mos")
        #expect(refusal(#"{"op":"mos","charge":true,"confirm":true}"#, writes: false)?.hasPrefix("writes are off") == true)
        #expect(refusal(#"{"op":"mos","confirm":true}"#)?.contains("give \"charge\"") == true)
        #expect(refusal(#"{"op":"mos","discharge":true}"#)?.contains("\"confirm\": true") == true)
    }
}
