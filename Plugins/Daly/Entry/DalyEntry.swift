import BMSDriverKit
import Daly

/// The one exported symbol of the Daly plugin (see bms_driver.h).
@_cdecl("bms_driver_entry")
public func bmsDriverEntry(_ hostABIMajor: UInt32) -> UnsafeRawPointer? {
    DriverExport.table(for: DalyDriver.self, emulator: DalyEmulator.self, hostABIMajor: hostABIMajor)
}
