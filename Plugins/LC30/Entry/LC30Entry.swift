import BMSDriverKit
import LC30

/// The one exported symbol of the LC30 plugin (see bms_driver.h).
@_cdecl("bms_driver_entry")
public func bmsDriverEntry(_ hostABIMajor: UInt32) -> UnsafeRawPointer? {
    DriverExport.table(for: LC30Driver.self, emulator: BQ78350Emulator.self, hostABIMajor: hostABIMajor)
}
