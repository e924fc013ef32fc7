/// The gateway's version, shown by `bmsgate --version` and in SunSpec model 1.
public enum GatewayVersion {
    public static let current = "0.6.0"
}
