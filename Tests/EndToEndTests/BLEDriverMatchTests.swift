import BMSGate
import Testing

/// `scan --ble` marks devices with the drivers that fit them: by the advertised name
/// (the plugins' ABI 1.2 `ble_names`) or by an advertised service UUID.
@Suite struct BLEDriverMatchTests {
    @Test func advertisedNamesAndServicesPickTheDriver() throws {
        let catalog = DriverLoader.load(directories: [TestTools.binDir])
        try #require(catalog.driver("daly") != nil && catalog.driver("jbd") != nil && catalog.driver("jk-bms") != nil, "plugins not built")
        #expect(catalog.driver("jbd")?.bleNames.contains("xiaoxiang*") == true)
        #expect(catalog.driver("basen")?.bleNames == [], "no BLE: no names")
        func fit(_ name: String?, _ services: [BLEUUID] = []) -> [String] {
            BLEDriverMatch.drivers(for: BLEAdvertisement(address: "11:22:33:44:55:66", name: name, rssi: -60, services: services),
                                   in: catalog.drivers)
        }
        #expect(fit("JK_B2A8S20P") == ["jk-bms"] && fit("JK-B2A24S15P") == ["jk-bms"])
        #expect(fit("DL-40D63C320B1E") == ["daly"])
        #expect(fit("xiaoxiang BMS") == ["jbd"] && fit("SP04S001") == ["jbd"] && fit("SP15S001-P13S-30A") == ["jbd"])
        #expect(fit(nil, [BLEUUID(short: 0xFF00)]) == ["jbd"], "a nameless device by its service")
        #expect(fit(nil, [BLEUUID(short: 0xFFF0)]) == ["daly"])
        #expect(fit("Garmin Forerunner") == [] && fit(nil) == [] && fit("SP4S") == [])
    }

    @Test func globPatterns() {
        #expect(BLEDriverMatch.matches("JK-B2A8S20P", pattern: "JK-*"))
        #expect(BLEDriverMatch.matches("SP04S001", pattern: "SP0?S*"))
        #expect(!BLEDriverMatch.matches("SP4S001", pattern: "SP0?S*"))
        #expect(BLEDriverMatch.matches("abc", pattern: "*") && BLEDriverMatch.matches("", pattern: "*"))
        #expect(BLEDriverMatch.matches("a-b-c", pattern: "a*c") && !BLEDriverMatch.matches("a-b-cd", pattern: "a*c"))
        #expect(!BLEDriverMatch.matches("jk-b2", pattern: "JK-*"), "case-sensitive, as devices advertise")
    }
}
