import BMSDriverKit
import Pylontech

/// The one exported symbol of the Pylontech plugin (see bms_driver.h).
@_cdecl("bms_driver_entry")
public func bmsDriverEntry(_ hostABIMajor: UInt32) -> UnsafeRawPointer? {
    DriverExport.table(for: PylontechDriver.self, emulator: PylontechEmulator.self, hostABIMajor: hostABIMajor)
}
