import BMSDriverKit
import RECBMS

/// The one exported symbol of the REC plugin (see bms_driver.h).
@_cdecl("bms_driver_entry")
public func bmsDriverEntry(_ hostABIMajor: UInt32) -> UnsafeRawPointer? {
    DriverExport.table(for: RECDriver.self, emulator: RECEmulator.self, hostABIMajor: hostABIMajor)
}
