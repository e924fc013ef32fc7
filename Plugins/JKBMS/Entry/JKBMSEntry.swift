import BMSDriverKit
import JKBMS

/// The one exported symbol of the JK plugin (see bms_driver.h).
@_cdecl("bms_driver_entry")
public func bmsDriverEntry(_ hostABIMajor: UInt32) -> UnsafeRawPointer? {
    DriverExport.table(for: JKDriver.self, emulator: JKEmulator.self, hostABIMajor: hostABIMajor)
}
