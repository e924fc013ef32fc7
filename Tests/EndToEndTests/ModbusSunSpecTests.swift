import BMSGate
import Foundation
import Testing

/// Real Modbus clients against the running gateway: pysunspec2 scans the SunSpec server and
/// every value matches the packs' readings; mbpoll reads both maps; our model tables match
/// pysunspec2's own model definitions point by point.
@Suite(.serialized) struct ModbusSunSpecTests {
    func python(_ script: String, _ args: [String]) throws -> Any {
        #expect(FileManager.default.isExecutableFile(atPath: TestTools.python), "no Python with pysunspec2 at \(TestTools.python): run `make test-deps`")
        let r = try TestTools.run(TestTools.python, [TestTools.pythonTools + "/" + script] + args, timeout: 60)
        #expect(r.status == 0, "\(script): \(r.stderr)")
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    }

    @Test func ourModelTablesAreTheSunSpecModels() throws {
        let defs = try #require(try python("sunspec_layout.py", ["1", "802", "804"]) as? [String: [String: Any]])
        for model in SunSpecModel.served {
            let def = try #require(defs["\(model.id)"])
            let points = try #require(def["points"] as? [[Any]])
            let theirs = points.map { "\($0[0]) \($0[1]) \($0[2])" }
            let ours = model.points.map { "\($0.name) \($0.type.name) \($0.type.size)" }
            #expect(ours == theirs, "model \(model.id)")
            let groups = try #require(def["groups"] as? [String: [[Any]]])
            let theirGroup = groups.values.first?.map { "\($0[0]) \($0[1]) \($0[2])" } ?? []
            #expect(model.repeating.map { "\($0.name) \($0.type.name) \($0.type.size)" } == theirGroup, "model \(model.id) group")
        }
    }

    /// Starts `bmsgate simulate` for Basen addresses behind a pty linked at `link`.
    static func simulator(_ link: String, addresses: [Int]) throws -> Child {
        let sim = try Child(TestTools.bmsgate, ["simulate", "--driver", "basen", "--link", link] + addresses.flatMap { ["--address", "\($0)"] })
        #expect(TestTools.waitUntil(10) { FileManager.default.fileExists(atPath: link) })
        return sim
    }

    @Test func pysunspec2FindsTheModelsAndEveryValueMatchesTheReadings() throws {
        let dir = try TestTools.tempDir("sunspec")
        let tty = dir + "/ttyBASEN"
        let sim = try Self.simulator(tty, addresses: [1, 2])
        defer { _ = sim.stop() }
        sim.send("set 1 drift=off")
        sim.send("set 2 drift=off temp1=-5")
        let readings = dir + "/readings.jsonl"
        try """
            site: sunspec-test
            buses: [{id: rack, type: serial, device: \(tty), baud: 9600}]
            packs:
              - {id: p1, driver: basen, bus: rack, address: 1, poll_interval: 300ms, timeout: 300ms}
              - {id: p2, driver: basen, bus: rack, address: 2, poll_interval: 300ms, timeout: 300ms}
            banks:
              - id: main
                packs: [p1, p2]
                limits: {charge_current: 100, discharge_current: 150, charge_voltage: 55.2}
            sinks:
              - {type: file, path: \(readings)}
              - {type: modbus-tcp, listen: "127.0.0.1:0", map: sunspec}
              - {type: modbus-tcp, listen: "127.0.0.1:0", map: simple}
            """.write(toFile: dir + "/site.yaml", atomically: true, encoding: .utf8)
        let gateway = try Child(TestTools.bmsgate, ["run", "--config", dir + "/site.yaml"])
        defer { _ = gateway.stop() }
        let modbusPorts = try gateway.ports("modbus-tcp", count: 2)
        let port = modbusPorts[0]
        let simplePort = modbusPorts[1]
        #expect(TestTools.waitUntil(15) {
            let lines = TestTools.jsonLines(readings)
            return lines.filter { $0["pack"] as? String == "p2" && $0["voltage"] != nil }.count >= 3
                && lines.filter { $0["pack"] as? String == "p1" && $0["voltage"] != nil }.count >= 3
        })
        Thread.sleep(forTimeInterval: 1)

        let scan = try #require(try python("sunspec_scan.py", ["127.0.0.1", "\(port)", "1"]) as? [String: Any])
        let lines = TestTools.jsonLines(readings)
        let p1 = try #require(lines.last { $0["pack"] as? String == "p1" && $0["voltage"] != nil })
        let p2 = try #require(lines.last { $0["pack"] as? String == "p2" && $0["voltage"] != nil })
        #expect(scan["base"] as? Int == 40000)
        let models = try #require(scan["models"] as? [String: [[String: Any]]])
        #expect(Set(models.keys) == ["1", "802", "804"])

        func num(_ o: [String: Any], _ k: String) -> Double? { (o[k] as? NSNumber)?.doubleValue }
        func near(_ a: Double?, _ b: Double?, _ tol: Double, _ what: String) {
            guard let a, let b else { Issue.record("\(what): \(String(describing: a)) vs \(String(describing: b))"); return }
            #expect(abs(a - b) <= tol + 1e-9, "\(what): modbus \(a) vs reading \(b)")
        }

        let common = try #require(models["1"]?.first)
        #expect(common["Mn"] as? String == "bmsgate")
        #expect(common["Md"] as? String == "battery bank main")
        #expect(common["Opt"] as? String == "sunspec-test")
        #expect(common["SN"] as? String == "sunspec-test-main")
        #expect(common["DA"] as? Int == 1)

        let strings = try #require(models["804"])
        #expect(strings.count == 2)
        for (index, (string, pack)) in zip(strings, [p1, p2]).enumerated() {
            let cells = try #require(pack["cells"] as? [Double])
            let temps = try #require(pack["temperatures"] as? [Double])
            #expect(string["Idx"] as? Int == index + 1)
            #expect(string["NMod"] as? Int == 1)
            #expect(string["St"] as? Int == 3)
            near(num(string, "SoC"), num(pack, "soc"), 0.05, "804 SoC")
            near(num(string, "SoH"), num(pack, "soh"), 0.05, "804 SoH")
            near(num(string, "DoD"), num(pack, "soc").map { 100 - $0 }, 0.05, "804 DoD")
            near(num(string, "NCyc"), num(pack, "cycles"), 0, "804 NCyc")
            near(num(string, "V"), num(pack, "voltage"), 0.005, "804 V")
            near(num(string, "A"), num(pack, "current"), 0.005, "804 A")
            near(num(string, "CellVMax"), cells.max(), 0.0005, "804 CellVMax")
            near(num(string, "CellVMin"), cells.min(), 0.0005, "804 CellVMin")
            near(num(string, "CellVAvg"), num(pack, "cell_avg"), 0.0005, "804 CellVAvg")
            near(num(string, "ModTmpMax"), temps.max(), 0.05, "804 ModTmpMax")
            near(num(string, "ModTmpMin"), temps.min(), 0.05, "804 ModTmpMin")
            near(num(string, "NCellBal"), Double((pack["balancing"] as? [Int] ?? []).count), 0, "804 NCellBal")
            let module = try #require((string["groups"] as? [[String: Any]])?.first)
            #expect(module["ModNCell"] as? Int == cells.count)
            near(num(module, "ModCellVMax"), cells.max(), 0.0005, "module CellVMax")
            near(num(module, "ModCellVMaxCell"), cells.firstIndex(of: cells.max()!).map { Double($0 + 1) }, 0, "module max cell")
            near(num(module, "ModCellVMin"), cells.min(), 0.0005, "module CellVMin")
            near(num(module, "ModCellVMinCell"), cells.firstIndex(of: cells.min()!).map { Double($0 + 1) }, 0, "module min cell")
        }
        #expect((p2["temperatures"] as? [Double])?.first == -5)  // a negative temperature made it through

        let battery = try #require(models["802"]?.first)
        let packs = [p1, p2]
        let volts = packs.compactMap { num($0, "voltage") }
        let caps = packs.compactMap { num($0, "full_capacity") }
        let socs = packs.compactMap { num($0, "soc") }
        let allCells = packs.flatMap { $0["cells"] as? [Double] ?? [] }
        near(num(battery, "V"), volts.reduce(0, +) / 2, 0.005, "802 V")
        near(num(battery, "VMax"), volts.max(), 0.005, "802 VMax")
        near(num(battery, "VMin"), volts.min(), 0.005, "802 VMin")
        near(num(battery, "A"), packs.compactMap { num($0, "current") }.reduce(0, +), 0.005, "802 A")
        near(num(battery, "SoC"), zip(socs, caps).map { $0 * $1 }.reduce(0, +) / caps.reduce(0, +), 0.05, "802 SoC")
        near(num(battery, "SoH"), packs.compactMap { num($0, "soh") }.min(), 0.05, "802 SoH")
        near(num(battery, "AHRtg"), caps.reduce(0, +), 0.05, "802 AHRtg")
        near(num(battery, "NCyc"), packs.compactMap { num($0, "cycles") }.max(), 0, "802 NCyc")
        near(num(battery, "CellVMax"), allCells.max(), 0.0005, "802 CellVMax")
        near(num(battery, "CellVMin"), allCells.min(), 0.0005, "802 CellVMin")
        near(num(battery, "AChaMax"), 100, 0, "802 AChaMax")
        near(num(battery, "ADisChaMax"), 150, 0, "802 ADisChaMax")
        #expect(battery["State"] as? Int == 3)
        #expect(battery["Typ"] as? Int == 4)
        #expect(battery["Evt1"] as? Int == 0)
        let maxPack = (p1["cells"] as? [Double] ?? []).max() == allCells.max() ? 1 : 2
        #expect(battery["CellVMaxStr"] as? Int == maxPack)

        // mbpoll: the SunSpec marker, and the simple map's bank block on holding and input registers.
        #expect(TestTools.mbpoll(port: port, address: 40000, count: 2) == [0x5375, 0x6E53])
        let simple = try #require(TestTools.mbpoll(port: simplePort, address: 0, count: 4))
        #expect(simple[0] == 1 && simple[1] == 2 && simple[2] == 2 && simple[3] == 0)
        let limits = try #require(TestTools.mbpoll(port: simplePort, address: 25, count: 3, inputRegisters: true))
        #expect(limits == [5520, 1000, 1500])
        let p2Block = try #require(TestTools.mbpoll(port: simplePort, address: 200, count: 3))
        #expect(p2Block[0] == 1)
        near(Double(p2Block[2]) / 100, num(p2, "voltage"), 0.005, "simple p2 voltage")
        #expect(TestTools.mbpoll(port: port, unit: 7, address: 40000, count: 2) == nil)  // no such unit
        let stopped = gateway.stop(SIGTERM)
        #expect(stopped.status == 0, "\(stopped.stderr)")
    }
}
