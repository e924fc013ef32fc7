import Foundation
import Testing

/// `bmsgate init` writes a site file that loads as written: for the buses and packs a user
/// names, or seeded from a REC instruction set (its port and its MQTT block).
@Suite struct InitTests {
    @Test func theMQTTBlockOfTheRECInstructionSet() throws {
        let dir = try TestTools.tempDir("init-rec"), out = dir + "/site.yaml"
        let seed = TestTools.root + "/Plugins/RECBMS/Driver/rec-bms-instructionset.json"
        let r = try TestTools.run(TestTools.bmsgate, ["init", "--bus", "rec=/dev/ttyUSB0", "--pack", "rec-bms:rec:1", "--mqtt-from", seed, "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.contains("- {id: rec, type: serial, device: /dev/ttyUSB0}"))
        #expect(text.contains("driver: rec-bms, bus: rec, address: \"1\""))
        #expect(text.contains("- {type: mqtt, host: server.domain.org, port: 1883, interval: \"0:0:0:30\", retain: true, username: username, password_env: MQTT_PASSWORD}"))
        #expect(!text.contains("password:") && !text.contains("\"password\""), "the instruction set's password is never copied")
        let check = try TestTools.run(TestTools.bmsgate, ["check", out])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        let again = try TestTools.run(TestTools.bmsgate, ["init", "--bus", "rec=/dev/ttyUSB0", "--pack", "rec-bms:rec:1", "--mqtt-from", seed, "-o", out])
        #expect(again.status == 1 && again.stderr.contains("exists (--force replaces it)"))
        let noBlock = try TestTools.run(TestTools.bmsgate, ["init", "--bus", "rec=/dev/ttyUSB0", "--pack", "rec-bms:rec:1", "--mqtt-from", out])
        #expect(noBlock.status == 2 && noBlock.stderr.contains("is not a JSON object"))
    }

    @Test func namedBusesAndPacksReadAtOnce() throws {
        let dir = try TestTools.tempDir("init-named"), out = dir + "/site.yaml"
        let r = try TestTools.run(TestTools.bmsgate, ["init", "--bus", "lab=sim", "--bus", "bridge=192.168.1.50:8899",
                                                      "--pack", "daly:lab:1", "--pack", "daly:lab:2", "--pack", "basen:bridge:3", "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.contains("- {id: bridge, type: tcp, host: 192.168.1.50, port: 8899}"))
        #expect(text.contains("packs: [daly-1, daly-2, basen-3]"))
        // The simulated part reads as written.
        let read = try TestTools.run(TestTools.bmsgate, ["read", "--config", out, "--pack", "daly-1", "--pack", "daly-2", "--format", "json"], timeout: 60)
        #expect(read.status == 0 && TestTools.jsonObjects(read.stdout).count == 2, "\(read.stderr)")
        // Mistakes are named.
        let unknown = try TestTools.run(TestTools.bmsgate, ["init", "--bus", "lab=sim", "--pack", "nosuch:lab:1"])
        #expect(unknown.status == 2 && unknown.stderr.contains("no driver 'nosuch' loaded"))
        let noBus = try TestTools.run(TestTools.bmsgate, ["init", "--pack", "daly:rs:1"])
        #expect(noBus.status == 2 && noBus.stderr.contains("add --bus rs=DEVICE"))
        let badBus = try TestTools.run(TestTools.bmsgate, ["init", "--bus", "rs"])
        #expect(badBus.status == 2 && badBus.stderr.contains("must be ID=DEVICE"))
        let badAddress = try TestTools.run(TestTools.bmsgate, ["init", "--bus", "rs=/dev/ttyUSB0", "--pack", "daly:rs:99"])
        #expect(badAddress.status == 1 && badAddress.stderr.contains("would not load"), "\(badAddress.stderr)")
    }
}
