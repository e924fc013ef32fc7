import Foundation
import Testing

/// `bmsgate read` as ubmsc users work (a BLE device by name or address, no site file, one
/// part of the data, the pretty formats) and logs that journald keeps as fields.
@Suite struct ReadFormsTests {
    @Test func aDeviceByNameWithoutASiteFile() throws {
        let info = try TestTools.run(TestTools.bmsgate, ["read", "--driver", "jk-bms", "--ble", "UPS_BMS", "--simulate",
                                                         "--format", "json-pretty", "--info"], timeout: 60)
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.hasPrefix("{\n  \"pack\": \"UPS_BMS\",\n  \"driver\": \"jk-bms\",\n"), "\(info.stdout)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["pack", "driver", "time", "online", "identity"])
        #expect((object["identity"] as? [String: Any])?["model"] as? String == "JK_B2A8S20P")

        let cells = try TestTools.run(TestTools.bmsgate, ["read", "--driver", "jk-bms", "--ble", "C8:47:8C:12:34:56", "--simulate",
                                                          "--format", "toml-pretty", "--cells"], timeout: 60)
        #expect(cells.status == 0, "\(cells.stderr)")
        #expect(cells.stdout.contains("[[pack]]") && cells.stdout.contains("pack = \"C8_47_8C_12_34_56\""), "\(cells.stdout)")
        #expect(cells.stdout.contains("cells = [") && cells.stdout.contains("soc = 76"))
        #expect(!cells.stdout.contains("identity") && !cells.stdout.contains("extras"))

        let both = try TestTools.run(TestTools.bmsgate, ["read", "--driver", "jk-bms", "--ble", "A", "--ble", "B", "--simulate", "--format", "json"], timeout: 60)
        #expect(both.status == 0 && TestTools.jsonObjects(both.stdout).map { $0["pack"] as? String } == ["A", "B"], "\(both.stderr)")

        let noDriver = try TestTools.run(TestTools.bmsgate, ["read", "--ble", "UPS_BMS", "--simulate"])
        #expect(noDriver.status == 2 && noDriver.stderr.contains("--ble needs --driver"))
        let badFormat = try TestTools.run(TestTools.bmsgate, ["read", "--format", "xml"])
        #expect(badFormat.status == 2 && badFormat.stderr.contains("json-pretty"))
    }

    @Test func journaldGetsFields() throws {
        let dir = try TestTools.tempDir("journal"), path = dir + "/journal.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        try #require(bound == 0)
        var tv = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let r = try TestTools.run(TestTools.bmsgate, ["read", "--config", "config.yaml", "--pack", "jk2", "--format", "json", "--log-format", "journald"],
                                  cwd: TestTools.root, timeout: 60, environment: ["BMSGATE_JOURNAL_SOCKET": path])
        #expect(r.status == 0, "\(r.stderr)")
        var entries: [String] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            entries.append(String(decoding: buffer[..<n], as: UTF8.self))
        }
        let connected = try #require(entries.first { $0.contains("connected, MTU") }, "\(entries)")
        for field in ["PRIORITY=6\n", "SYSLOG_IDENTIFIER=bmsgate\n", "BUS=radio\n", "CODE_FILE="] {
            #expect(connected.contains(field), "\(connected)")
        }
        #expect(entries.contains { $0.contains("PACK=jk2\n") })
        #expect(!r.stderr.contains("connected, MTU"), "entries went to the journal, not stderr")
        // Without the socket: priority-prefixed lines on stderr, which journald reads from a unit.
        let plain = try TestTools.run(TestTools.bmsgate, ["read", "--config", "config.yaml", "--pack", "jk2", "--log-format", "journald"],
                                      cwd: TestTools.root, timeout: 60, environment: ["BMSGATE_JOURNAL_SOCKET": dir + "/none.sock"])
        #expect(plain.stderr.contains("<6>bmsgate: bus=radio"), "\(plain.stderr)")
        let bad = try TestTools.run(TestTools.bmsgate, ["read", "--log-format", "xml"])
        #expect(bad.status != 0 && bad.stderr.contains("--log-format must be text or journald"))
    }
}
