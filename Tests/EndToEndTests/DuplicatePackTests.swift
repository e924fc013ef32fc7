import Foundation
import Testing

/// One pack counted twice must never double a bank's current limit: at check time addresses
/// are compared by value with the driver's own rules, and at run time two packs reporting
/// one serial number stop the bank.
@Suite(.serialized) struct DuplicatePackTests {
    func write(_ dir: String, _ text: String) throws -> String {
        let path = dir + "/site.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func checkComparesAddressesByValueAndRefusesBadOnes() throws {
        let dir = try TestTools.tempDir("dup-check")
        let same = try write(dir, """
            buses: [{id: rs, type: sim}]
            packs:
              - {id: p1, driver: basen, bus: rs, address: 1}
              - {id: p2, driver: basen, bus: rs, address: "0x01"}
              - {id: p3, driver: basen, bus: rs, address: "01"}
            banks: [{id: main, packs: [p1, p2, p3]}]
            """)
        let r = try TestTools.run(TestTools.bmsgate, ["check", same])
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(same):4:47: packs 'p1' and 'p2' are the same device: address '1' and '0x01' on bus 'rs' are both 1"), "\(r.stderr)")
        #expect(r.stderr.contains("\(same):5:47: packs 'p1' and 'p3' are the same device"), "\(r.stderr)")
        for (bad, reason) in [("0", "below the minimum 1"), ("300", "above the maximum 255"), ("-1", "below the minimum 1"),
                              ("abc", "must be an integer"), ("1.5", "must be an integer")] {
            let path = try write(dir, """
                buses: [{id: rs, type: sim}]
                packs: [{id: p1, driver: basen, bus: rs, address: "\(bad)"}]
                """)
            let c = try TestTools.run(TestTools.bmsgate, ["check", path])
            #expect(c.status == 1 && c.stderr.contains("\(path):2:51: pack 'p1': address") && c.stderr.contains(reason), "\(bad): \(c.stderr)")
        }
    }

    @Test func twoPacksWithOneSerialStopTheBank() throws {
        let dir = try TestTools.tempDir("dup-run")
        // The same Basen pack reached over two lines (as a second RS485 adapter on the same
        // bus would): different buses, so no check can see it; the serial numbers match.
        let config = try write(dir, """
            site: dup
            buses: [{id: l1, type: sim}, {id: l2, type: sim}]
            packs:
              - {id: p1, driver: basen, bus: l1, address: 1}
              - {id: p2, driver: basen, bus: l2, address: 1}
            banks: [{id: main, packs: [p1, p2], limits: {charge_current: 100, discharge_current: 100}}]
            sinks: [{type: http, listen: "127.0.0.1:0"}]
            """)
        let gw = try Child(TestTools.bmsgate, ["run", "--config", config])
        defer { _ = gw.stop() }
        let port = try gw.port("http")
        var bank: [String: Any]?
        #expect(TestTools.waitUntil(20) {
            let site = try? HTTPAPITests.curl(port, "GET", "/api/site").json
            bank = (site?["banks"] as? [[String: Any]])?.first
            return (bank?["online_packs"] as? [String])?.count == 2
        })
        #expect(bank?["alarms"] as? [String] == ["duplicate_pack"])
        let limits = bank?["limits"] as? [String: Any]
        #expect(limits?["charge_current"] as? Double == 0 && limits?["discharge_current"] as? Double == 0)
        #expect((limits?["reasons"] as? [String])?.first?.contains("p1 and p2 report serial 'BG48280-2024-0001'") == true, "\(limits ?? [:])")
    }
}
