import Basen
import BMSDriverKit

/// The one exported symbol of the Basen plugin (see bms_driver.h).
@_cdecl("bms_driver_entry")
public func bmsDriverEntry(_ hostABIMajor: UInt32) -> UnsafeRawPointer? {
    DriverExport.table(for: BasenDriver.self, emulator: BasenEmulator.self, hostABIMajor: hostABIMajor)
}
