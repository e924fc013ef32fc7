import BMSGateTestSupport
import Foundation
import Logging
import Testing

@testable import BMSGate

/// Fuzz targets for what reaches the gateway from outside: the site file and Modbus requests
/// (HTTP requests: HTTPFuzzTests, against a running gateway; the frame decoders' targets
/// sit with each driver's tests). Each runs for
/// `FuzzBudget.seconds` (1 s in `make test`, 60 s in `make fuzz`) from a printed seed.
@Suite(.serialized) struct FuzzTargetTests {
    static let site = """
        site: fuzz
        buses:
          - {id: lab, type: sim, line_rate: 9600}
          - {id: rs, type: serial, device: /dev/ttyUSB0, baud: 9600}
        packs:
          - {id: p1, driver: basen, bus: lab, address: 1, poll_interval: 1s, timeout: 500ms, limits: {charge_current: 50}}
          - {id: p2, driver: basen, bus: rs, address: "0x02", options: {x: 1}}
        banks:
          - {id: main, packs: [p1, p2], stale_after: 10s, limits: {charge_voltage: 55.2, charge_temperature: {min: 0, max: 45}}}
        sinks:
          - {type: modbus-tcp, listen: "0.0.0.0:1502", clients: [10.0.0.1], allow: [10.0.0.0/8]}
          - {type: http, listen: "127.0.0.1:8080", max_body: 64KB, idle_timeout: 30s}
          - {type: file, path: data/r.jsonl, max_size: 10MB}
          - {type: mqtt, host: 127.0.0.1, interval: 5s}
        """

    /// Pieces of YAML that make mutations reach deeper than random bytes do.
    static let yamlPieces = ["[", "]", "{", "}", ": ", "- ", "\n  ", "&a ", "*a", "<<: *a", "!!binary ", "!!int ", "\"", "'", "#",
                             "1e20s", "-1", "0x", "999999999999999999999", "~", "null", "\t", "\u{0}", "é", "|\n  x", ">-\n"]

    @Test func configLoaderNeverTraps() {
        var accepted = 0, refused = 0
        FuzzBudget.run("site file") { rng, round in
            var text = Array(Self.site.utf8)
            for _ in 0..<(1 + round % 6) {
                if Bool.random(using: &rng) {
                    text = rng.mutation(of: text)
                } else {
                    let piece = Array(Self.yamlPieces.randomElement(using: &rng)!.utf8)
                    text.insert(contentsOf: piece, at: Int.random(in: 0...text.count, using: &rng))
                }
            }
            do throws(ConfigError) {
                _ = try ConfigLoader.parse(yaml: String(decoding: text, as: UTF8.self), file: "fuzz.yaml")
                accepted += 1
            } catch {
                refused += 1
                #expect(!error.issues.isEmpty)
                #expect(error.issues.allSatisfy { $0.description.hasPrefix("fuzz.yaml:") })
            }
        }
        #expect(refused > 0 && accepted > 0, "mutations should give both good and bad files")
    }

    @Test func modbusRequestsAlwaysGetAWellFormedAnswer() {
        let image = RegisterImage(units: [1: UnitRegisters(start: 40000, registers: (0..<100).map { UInt16($0) }),
                                          2: UnitRegisters(start: 0, registers: [1, 2, 3])])
        let read: [UInt8] = [0x12, 0x34, 0, 0, 0, 6, 1, 3, 0x9C, 0x40, 0, 10]
        FuzzBudget.run("modbus requests") { rng, round in
            // The server frames by the MBAP header, so the responder sees header + PDU with a
            // consistent length; the PDU is anything.
            var pdu = round % 2 == 0 ? rng.bytes(maxLength: 253) : Array(rng.mutation(of: read).dropFirst(7))
            if pdu.isEmpty { pdu = [UInt8.random(in: 0...255, using: &rng)] }
            let unit = [0, 1, 2, 3, 0xFF, UInt8.random(in: 0...255, using: &rng)].randomElement(using: &rng)!
            let length = pdu.count + 1
            let adu = [UInt8.random(in: 0...255, using: &rng), UInt8.random(in: 0...255, using: &rng), 0, 0,
                       UInt8(length >> 8), UInt8(length & 0xFF), unit] + pdu
            let answer = ModbusResponder.answer(adu, image: image, serverText: "bmsgate").bytes
            #expect(answer.count >= 9 && answer.count <= 260)
            #expect(Array(answer[0..<4]) == [adu[0], adu[1], 0, 0])
            #expect(Int(answer[4]) << 8 | Int(answer[5]) == answer.count - 6)
            #expect(answer[6] == unit)
            #expect(answer[7] & 0x7F == pdu[0] & 0x7F)
        }
    }
}
