import ArgumentParser
import BMSGate

/// `bmsgate modbus-map`: prints the Modbus register map (the text of docs/modbus-map.md).
struct ModbusMap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modbus-map",
        abstract: "Print the Modbus-TCP register map (SunSpec and simple) as Markdown.")

    func run() throws {
        print(ModbusMapDocument.markdown(), terminator: "")
    }
}
