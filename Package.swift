// swift-tools-version:6.0
// bmsgate: a plugin-based battery gateway. The host (BMSGate + bmsgate) loads
// per-vendor drivers (Plugins/*) at run time through the C ABI in CBMSDriver.
import Foundation
import PackageDescription

/// Driver plugins export exactly one symbol (bms_driver_entry); everything else stays local.
let pluginLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-Xlinker", "--version-script=" + URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("Plugins/driver-exports.map").path])
]

let package = Package(
    name: "bmsgate",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "bmsgate", targets: ["bmsgate"]),
        .library(name: "BMSGate", targets: ["BMSGate"]),
        .library(name: "BMSDriverKit", targets: ["BMSDriverKit"]),
        // One dynamic library per driver: the host dlopen()s these. Plugin files are named
        // libbmsdriver-<name>.so (the loader's convention), hence the product names.
        .library(name: "bmsdriver-basen", type: .dynamic, targets: ["BasenEntry"]),
        .library(name: "bmsdriver-rec-bms", type: .dynamic, targets: ["RECBMSEntry"]),
        .library(name: "bmsdriver-jk-bms", type: .dynamic, targets: ["JKBMSEntry"]),
        .library(name: "bmsdriver-lc30", type: .dynamic, targets: ["LC30Entry"]),
        .library(name: "bmsdriver-pylontech", type: .dynamic, targets: ["PylontechEntry"]),
        .library(name: "bmsdriver-jbd", type: .dynamic, targets: ["JBDEntry"]),
        .library(name: "bmsdriver-daly", type: .dynamic, targets: ["DalyEntry"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        // The driver ABI: one public C header, the contract for third-party drivers.
        .target(name: "CBMSDriver"),
        // Helpers for drivers written in Swift: table export, frame tools, checksums.
        .target(name: "BMSDriverKit", dependencies: ["CBMSDriver"]),
        // Linux ioctls for serial ports (termios2, RS485) the host needs.
        .target(name: "CHostSupport"),
        // libmodbus: the benchmarks' reference server (the bare modbus_receive/modbus_reply
        // loop) and their client. The gateway frames Modbus-TCP itself (docs/ARCHITECTURE.md).
        .systemLibrary(name: "CModbus", pkgConfig: "libmodbus", providers: [.apt(["libmodbus-dev"])]),
        // libmosquitto, the MQTT sink's client (TLS, last will, QoS 1 resends).
        // libbluetooth (BlueZ): L2CAP LE sockets (ATT) and HCI LE scans.
        .systemLibrary(name: "CBluetooth", pkgConfig: "bluez", providers: [.apt(["libbluetooth-dev"])]),
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto", providers: [.apt(["libmosquitto-dev"])]),
        // The plain values every part shares: Reading, alarms, field catalog, bank status,
        // limit rules, snapshots, JSON. No C library, no network, no I/O.
        .target(name: "BMSCore"),
        // The Pylontech RS485 protocol: frames, checksums and INFO layouts, shared by the
        // pylon-rs485 sink and the pylontech driver. No dependencies.
        .target(name: "PylonCodec"),
        // The host library: config, plugin loader, buses, site, sinks. Each sink family is
        // one folder (Modbus, CAN, PylonRS485, MQTT, HTTP, FileAndStdout) with its README
        // and a sample site file (checked by FamilyFoldersTests).
        .target(
            name: "BMSGate",
            dependencies: [
                "BMSCore",
                "PylonCodec",
                "CBMSDriver",
                "CHostSupport",
                "CMosquitto",
                "CBluetooth",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: familyFiles,
            // The dashboard's page, script and style sheet, compiled into the binary.
            resources: ["index.html", "dashboard.js", "dashboard.css"].map { .embedInCode("HTTP/Dashboard/Assets/\($0)") }),
        .executableTarget(
            name: "bmsgate",
            dependencies: [
                "BMSGate",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // Drivers: the codec/driver/emulator target is what tests link; the Entry target
        // holds the one exported symbol and goes only into the plugin .so.
        .target(name: "Basen", dependencies: ["BMSDriverKit"], path: "Plugins/Basen/Driver"),
        .target(name: "BasenEntry", dependencies: ["Basen", "BMSDriverKit"], path: "Plugins/Basen/Entry",
                linkerSettings: pluginLinkerSettings),
        // Benchmarks print ratios measured in one run (`make bench`); their helpers (processes,
        // ports, HTTP) are one target.
        .target(name: "BenchSupport", path: "Benchmarks/Support"),
        .executableTarget(name: "bmsgate-bench-modbus", dependencies: ["BMSGate", "CModbus",
                                                                     .product(name: "Logging", package: "swift-log")],
                          path: "Benchmarks/ModbusBenchmark"),
        .executableTarget(name: "bmsgate-bench-site", dependencies: ["BMSGate", "CModbus", "BenchSupport",
                                                                   .product(name: "Logging", package: "swift-log")],
                          path: "Benchmarks/SiteBenchmark"),
        // The charge controller in closed loop: battery and inverter models against the real
        // gateway through a pack emulator and an SLCAN link.
        .executableTarget(name: "bmsgate-plant", dependencies: ["BMSGate", "BenchSupport"], path: "Benchmarks/Plant"),
        // The REC instruction set ships as data next to the plugin (bmsgate_RECBMS.resources).
        .target(name: "RECBMS", dependencies: ["BMSDriverKit"], path: "Plugins/RECBMS/Driver",
                resources: [.copy("rec-bms-instructionset.json")]),
        .target(name: "RECBMSEntry", dependencies: ["RECBMS", "BMSDriverKit"], path: "Plugins/RECBMS/Entry",
                linkerSettings: pluginLinkerSettings),
        .testTarget(name: "RECBMSTests", dependencies: ["RECBMS", "BMSDriverKit", "BMSGateTestSupport"]),
        // JK BMS: the NW protocol on serial/TCP (BLE frames decode offline).
        .target(name: "JKBMS", dependencies: ["BMSDriverKit"], path: "Plugins/JKBMS/Driver"),
        .target(name: "JKBMSEntry", dependencies: ["JKBMS", "BMSDriverKit"], path: "Plugins/JKBMS/Entry",
                linkerSettings: pluginLinkerSettings),
        .testTarget(name: "JKBMSTests", dependencies: ["JKBMS", "BMSDriverKit", "BMSGateTestSupport"], exclude: ["testdata"]),
        // LC30: a bq78350 gauge over I2C/SMBus; its emulator answers transactions like the chip.
        .target(name: "LC30", dependencies: ["BMSDriverKit"], path: "Plugins/LC30/Driver"),
        .target(name: "LC30Entry", dependencies: ["LC30", "BMSDriverKit"], path: "Plugins/LC30/Entry",
                linkerSettings: pluginLinkerSettings),
        // Pylontech-protocol packs (RS485), on the codec the pylon-rs485 sink shares.
        .target(name: "Pylontech", dependencies: ["BMSDriverKit", "PylonCodec"], path: "Plugins/Pylontech/Driver"),
        .target(name: "PylontechEntry", dependencies: ["Pylontech", "BMSDriverKit"], path: "Plugins/Pylontech/Entry",
                linkerSettings: pluginLinkerSettings),
        .testTarget(name: "PylontechTests", dependencies: ["Pylontech", "PylonCodec", "BMSDriverKit", "BMSGateTestSupport"]),
        // JBD (Xiaoxiang, Overkill Solar): the 0xDD protocol over UART/RS485 and BLE.
        .target(name: "JBD", dependencies: ["BMSDriverKit"], path: "Plugins/JBD/Driver"),
        .target(name: "JBDEntry", dependencies: ["JBD", "BMSDriverKit"], path: "Plugins/JBD/Entry",
                linkerSettings: pluginLinkerSettings),
        .testTarget(name: "JBDTests", dependencies: ["JBD", "BMSDriverKit", "BMSGateTestSupport"], exclude: ["testdata"]),
        // Daly: the 0xA5 protocol over UART/RS485 (boards by number) and BLE.
        .target(name: "Daly", dependencies: ["BMSDriverKit"], path: "Plugins/Daly/Driver"),
        .target(name: "DalyEntry", dependencies: ["Daly", "BMSDriverKit"], path: "Plugins/Daly/Entry",
                linkerSettings: pluginLinkerSettings),
        .testTarget(name: "DalyTests", dependencies: ["Daly", "BMSDriverKit", "BMSGateTestSupport"], exclude: ["testdata"]),
        .testTarget(name: "LC30Tests", dependencies: ["LC30", "BMSDriverKit", "BMSGateTestSupport"]),
        .testTarget(name: "BMSDriverKitTests", dependencies: ["BMSDriverKit", "CBMSDriver"]),
        .testTarget(name: "BasenTests", dependencies: ["Basen", "BMSDriverKit", "BMSGateTestSupport"], exclude: ["testdata"]),
        // What tests share: a scripted transport, a manual clock, an in-memory sink, a test
        // driver built in Swift as a C table, a frame-decoder check and seeded fuzz input.
        .target(name: "BMSGateTestSupport", dependencies: ["BMSGate", "BMSDriverKit", "CBMSDriver"], path: "Tests/TestSupport"),
        .testTarget(name: "BMSCoreTests", dependencies: ["BMSCore"]),
        .testTarget(name: "BMSGateTests", dependencies: ["BMSGate", "BMSCore", "PylonCodec", "CBMSDriver", "BMSGateTestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["BMSGate", "BMSGateTestSupport"]),
    ]
)

/// The sink families' READMEs and sample site files: documentation, not sources.
var familyFiles: [String] {
    ["Modbus", "CAN", "PylonRS485", "MQTT", "HTTP", "FileAndStdout"].flatMap { ["\($0)/README.md", "\($0)/sample.yaml"] }
}
