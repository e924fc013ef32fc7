import Foundation
import Testing

/// `make install` into a temporary root (DESTDIR): the tree, the installed gateway checking
/// the sample site with the installed plugins and runtime, `systemd-analyze verify` on the
/// unit, and `make uninstall` keeping the user's site file.
@Suite struct InstallTests {
    @Test func installIntoATreeAndVerifyTheUnit() throws {
        let dir = try TestTools.tempDir("install"), root = dir + "/root", prefix = "/usr/local"
        let install = try TestTools.run("/bin/sh", ["scripts/install.sh", root, prefix, TestTools.binDir], cwd: TestTools.root, timeout: 120)
        #expect(install.status == 0, "\(install.stdout) \(install.stderr)")
        let fm = FileManager.default
        for path in ["/usr/local/bin/bmsgate", "/usr/local/lib/bmsgate/drivers/libbmsdriver-jk-bms.so",
                     "/usr/local/lib/bmsgate/drivers/libbmsdriver-daly.so",
                     "/usr/local/lib/bmsgate/drivers/bmsgate_RECBMS.resources/rec-bms-instructionset.json",
                     "/usr/local/lib/bmsgate/swift/libswiftCore.so", "/usr/local/lib/systemd/system/bmsgate.service",
                     "/usr/local/share/doc/bmsgate/README.md", "/etc/bmsgate/config.yaml"] {
            #expect(fm.fileExists(atPath: root + path), "missing \(path)")
        }
        #expect(!fm.fileExists(atPath: root + "/usr/local/lib/bmsgate/drivers/libbmsdriver-example-c.so"), "the example driver is not installed")
        let unit = try String(contentsOfFile: root + "/usr/local/lib/systemd/system/bmsgate.service", encoding: .utf8)
        for line in ["User=bmsgate", "ExecStartPre=/usr/local/bin/bmsgate check /etc/bmsgate/config.yaml",
                     "ExecStart=/usr/local/bin/bmsgate run --config /etc/bmsgate/config.yaml --plugin-dir /usr/local/lib/bmsgate/drivers",
                     "Restart=on-failure", "AmbientCapabilities=CAP_NET_BIND_SERVICE", "StateDirectory=bmsgate", "ProtectSystem=strict",
                     "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_BLUETOOTH AF_CAN AF_NETLINK"] {
            #expect(unit.contains(line), "the unit lacks \(line)")
        }
        #expect(!unit.contains("PrivateDevices=yes"), "serial, I2C and Bluetooth devices must stay reachable")

        // The installed binary, on the installed runtime and plugins, checks the sample site.
        let check = try TestTools.run(root + "/usr/local/bin/bmsgate", ["check", root + "/etc/bmsgate/config.yaml",
                                                                         "--plugin-dir", root + "/usr/local/lib/bmsgate/drivers"],
                                      environment: ["LD_LIBRARY_PATH": root + "/usr/local/lib/bmsgate/swift"])
        #expect(check.status == 0 && check.stdout.contains("ok ("), "\(check.stdout) \(check.stderr)")

        // systemd-analyze verify in the tree (with the base units it refers to).
        let base = ["/usr/lib/systemd/system", "/lib/systemd/system"].first { fm.fileExists(atPath: $0 + "/multi-user.target") }
        let units = try #require(base, "systemd's units are not installed (apt install systemd)")
        try fm.createDirectory(atPath: root + "/usr/lib/systemd", withIntermediateDirectories: true)
        try fm.copyItem(atPath: units, toPath: root + "/usr/lib/systemd/system")
        let verify = try TestTools.run("/usr/bin/systemd-analyze", ["verify", "--man=no", "--root=" + root, prefix + "/lib/systemd/system/bmsgate.service"])
        #expect(verify.status == 0 && verify.stderr.isEmpty && verify.stdout.isEmpty, "\(verify.stdout) \(verify.stderr)")

        // A site file the user changed is kept by a reinstall and by uninstall.
        try "# mine\n".write(toFile: root + "/etc/bmsgate/config.yaml", atomically: true, encoding: .utf8)
        let again = try TestTools.run("/bin/sh", ["scripts/install.sh", root, prefix, TestTools.binDir], cwd: TestTools.root, timeout: 120)
        #expect(again.status == 0 && again.stdout.contains("kept"))
        let uninstall = try TestTools.run("/bin/sh", ["scripts/uninstall.sh", root, prefix], cwd: TestTools.root)
        #expect(uninstall.status == 0)
        #expect(!fm.fileExists(atPath: root + "/usr/local/bin/bmsgate") && !fm.fileExists(atPath: root + "/usr/local/lib/bmsgate"))
        #expect(try String(contentsOfFile: root + "/etc/bmsgate/config.yaml", encoding: .utf8) == "# mine\n")
    }
}
