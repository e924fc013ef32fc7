import BMSDriverKit
import JBD

/// The one exported symbol of the JBD plugin (see bms_driver.h).
@_cdecl("bms_driver_entry")
public func bmsDriverEntry(_ hostABIMajor: UInt32) -> UnsafeRawPointer? {
    DriverExport.table(for: JBDDriver.self, emulator: JBDEmulator.self, hostABIMajor: hostABIMajor)
}
