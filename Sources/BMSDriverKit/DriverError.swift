import CBMSDriver

/// An error a driver reports to the host: a bms_status code plus a one-line reason.
public struct DriverError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The ABI status code (always negative).
    public let status: Int32
    /// A one-line reason, e.g. "checksum 0x61, expected 0x62".
    public let message: String
    /// For vendor commands: the HTTP status an API should answer with (400, 403, 404).
    public var httpStatus: Int?

    /// Makes an error from an ABI status and a reason.
    public init(_ status: bms_status, _ message: String) {
        self.status = status.rawValue
        self.message = message
    }

    /// No (complete) answer within the timeout.
    public static func timeout(_ message: String) -> DriverError { DriverError(BMS_ERR_TIMEOUT, message) }
    /// A frame with a wrong checksum or CRC.
    public static func checksum(_ message: String) -> DriverError { DriverError(BMS_ERR_CHECKSUM, message) }
    /// A frame with a wrong header, length, address or layout.
    public static func frame(_ message: String) -> DriverError { DriverError(BMS_ERR_FRAME, message) }
    /// The transport failed.
    public static func io(_ message: String) -> DriverError { DriverError(BMS_ERR_IO, message) }
    /// Invalid option or argument.
    public static func invalid(_ message: String) -> DriverError { DriverError(BMS_ERR_INVALID, message) }
    /// Not supported by this driver.
    public static func unsupported(_ message: String) -> DriverError { DriverError(BMS_ERR_UNSUPPORTED, message) }
    /// A write that the configuration does not allow.
    public static func forbidden(_ message: String) -> DriverError { DriverError(BMS_ERR_FORBIDDEN, message) }
    /// The device answered with an error.
    public static func device(_ message: String) -> DriverError { DriverError(BMS_ERR_DEVICE, message) }

    public var description: String { message }

    /// A command error with the HTTP status the API answers.
    public static func http(_ status: Int, _ message: String) -> DriverError {
        var e = DriverError(status == 403 ? BMS_ERR_FORBIDDEN : BMS_ERR_INVALID, message)
        e.httpStatus = status
        return e
    }
}
