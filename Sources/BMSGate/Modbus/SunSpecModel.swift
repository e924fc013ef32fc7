/// One point of a SunSpec model: name, type and (for scaled values) its scale-factor point.
public struct SunSpecPoint: Sendable {
    public var name: String
    public var type: RegisterType
    /// Name of the sunssf point that scales this one.
    public var scaleFactor: String?

    init(_ name: String, _ type: RegisterType, sf: String? = nil) {
        self.name = name
        self.type = type
        self.scaleFactor = sf
    }
}

/// The layout of a SunSpec model: fixed points, then an optional repeating group.
/// Facts from the SunSpec Information Models (models 1, 802, 804 as published in the
/// SunSpec model JSON); `SunSpecLayoutTests` compares them with pysunspec2's copy.
public struct SunSpecModel: Sendable {
    public var id: UInt16
    public var name: String
    public var points: [SunSpecPoint]
    /// Points of one repetition of the repeating group (empty: none).
    public var repeating: [SunSpecPoint]

    /// Registers of the fixed part, without ID and L.
    public var fixedLength: Int { points.dropFirst(2).reduce(0) { $0 + $1.type.size } }
    /// Registers of one repetition.
    public var repeatLength: Int { repeating.reduce(0) { $0 + $1.type.size } }

    /// Register offset of `point` from the model's first register (the ID).
    public func offset(of point: String) -> Int? {
        var at = 0
        for p in points {
            if p.name == point { return at }
            at += p.type.size
        }
        return nil
    }
}

extension SunSpecModel {
    /// Model 1, Common.
    public static let common = SunSpecModel(id: 1, name: "common", points: [
        .init("ID", .uint16), .init("L", .uint16),
        .init("Mn", .string(registers: 16)), .init("Md", .string(registers: 16)), .init("Opt", .string(registers: 8)),
        .init("Vr", .string(registers: 8)), .init("SN", .string(registers: 16)), .init("DA", .uint16), .init("Pad", .pad),
    ], repeating: [])

    /// Model 802, Battery Base.
    public static let battery = SunSpecModel(id: 802, name: "battery", points: [
        .init("ID", .uint16), .init("L", .uint16),
        .init("AHRtg", .uint16, sf: "AHRtg_SF"), .init("WHRtg", .uint16, sf: "WHRtg_SF"),
        .init("WChaRteMax", .uint16, sf: "WChaDisChaMax_SF"), .init("WDisChaRteMax", .uint16, sf: "WChaDisChaMax_SF"),
        .init("DisChaRte", .uint16, sf: "DisChaRte_SF"), .init("SoCMax", .uint16, sf: "SoC_SF"),
        .init("SoCMin", .uint16, sf: "SoC_SF"), .init("SocRsvMax", .uint16, sf: "SoC_SF"),
        .init("SoCRsvMin", .uint16, sf: "SoC_SF"), .init("SoC", .uint16, sf: "SoC_SF"),
        .init("DoD", .uint16, sf: "DoD_SF"), .init("SoH", .uint16, sf: "SoH_SF"), .init("NCyc", .uint32),
        .init("ChaSt", .enum16), .init("LocRemCtl", .enum16), .init("Hb", .uint16), .init("CtrlHb", .uint16),
        .init("AlmRst", .uint16), .init("Typ", .enum16), .init("State", .enum16), .init("StateVnd", .enum16),
        .init("WarrDt", .uint32), .init("Evt1", .bitfield32), .init("Evt2", .bitfield32),
        .init("EvtVnd1", .bitfield32), .init("EvtVnd2", .bitfield32),
        .init("V", .uint16, sf: "V_SF"), .init("VMax", .uint16, sf: "V_SF"), .init("VMin", .uint16, sf: "V_SF"),
        .init("CellVMax", .uint16, sf: "CellV_SF"), .init("CellVMaxStr", .uint16), .init("CellVMaxMod", .uint16),
        .init("CellVMin", .uint16, sf: "CellV_SF"), .init("CellVMinStr", .uint16), .init("CellVMinMod", .uint16),
        .init("CellVAvg", .uint16, sf: "CellV_SF"), .init("A", .int16, sf: "A_SF"),
        .init("AChaMax", .uint16, sf: "AMax_SF"), .init("ADisChaMax", .uint16, sf: "AMax_SF"),
        .init("W", .int16, sf: "W_SF"), .init("ReqInvState", .enum16), .init("ReqW", .int16, sf: "W_SF"),
        .init("SetOp", .enum16), .init("SetInvState", .enum16),
        .init("AHRtg_SF", .sunssf), .init("WHRtg_SF", .sunssf), .init("WChaDisChaMax_SF", .sunssf),
        .init("DisChaRte_SF", .sunssf), .init("SoC_SF", .sunssf), .init("DoD_SF", .sunssf), .init("SoH_SF", .sunssf),
        .init("V_SF", .sunssf), .init("CellV_SF", .sunssf), .init("A_SF", .sunssf), .init("AMax_SF", .sunssf),
        .init("W_SF", .sunssf),
    ], repeating: [])

    /// Model 804, Lithium-Ion String (one per pack), with its module group.
    public static let lithiumIonString = SunSpecModel(id: 804, name: "lithium_ion_string", points: [
        .init("ID", .uint16), .init("L", .uint16),
        .init("Idx", .uint16), .init("NMod", .uint16), .init("St", .bitfield32), .init("ConFail", .enum16),
        .init("NCellBal", .uint16), .init("SoC", .uint16, sf: "SoC_SF"), .init("DoD", .uint16, sf: "DoD_SF"),
        .init("NCyc", .uint32), .init("SoH", .uint16, sf: "SoH_SF"), .init("A", .int16, sf: "A_SF"),
        .init("V", .uint16, sf: "V_SF"), .init("CellVMax", .uint16, sf: "CellV_SF"), .init("CellVMaxMod", .uint16),
        .init("CellVMin", .uint16, sf: "CellV_SF"), .init("CellVMinMod", .uint16), .init("CellVAvg", .uint16, sf: "CellV_SF"),
        .init("ModTmpMax", .int16, sf: "ModTmp_SF"), .init("ModTmpMaxMod", .uint16),
        .init("ModTmpMin", .int16, sf: "ModTmp_SF"), .init("ModTmpMinMod", .uint16),
        .init("ModTmpAvg", .int16, sf: "ModTmp_SF"), .init("Pad1", .pad), .init("ConSt", .bitfield32),
        .init("Evt1", .bitfield32), .init("Evt2", .bitfield32), .init("EvtVnd1", .bitfield32), .init("EvtVnd2", .bitfield32),
        .init("SetEna", .enum16), .init("SetCon", .enum16),
        .init("SoC_SF", .sunssf), .init("SoH_SF", .sunssf), .init("DoD_SF", .sunssf), .init("A_SF", .sunssf),
        .init("V_SF", .sunssf), .init("CellV_SF", .sunssf), .init("ModTmp_SF", .sunssf),
        .init("Pad2", .pad), .init("Pad3", .pad), .init("Pad4", .pad),
    ], repeating: [
        .init("ModNCell", .uint16), .init("ModSoC", .uint16, sf: "SoC_SF"), .init("ModSoH", .uint16, sf: "SoH_SF"),
        .init("ModCellVMax", .uint16, sf: "CellV_SF"), .init("ModCellVMaxCell", .uint16),
        .init("ModCellVMin", .uint16, sf: "CellV_SF"), .init("ModCellVMinCell", .uint16),
        .init("ModCellVAvg", .uint16, sf: "CellV_SF"), .init("ModCellTmpMax", .int16, sf: "ModTmp_SF"),
        .init("ModCellTmpMaxCell", .uint16), .init("ModCellTmpMin", .int16, sf: "ModTmp_SF"),
        .init("ModCellTmpMinCell", .uint16), .init("ModCellTmpAvg", .int16, sf: "ModTmp_SF"),
        .init("Pad5", .pad), .init("Pad6", .pad), .init("Pad7", .pad),
    ])

    /// Every model this gateway serves.
    public static let served: [SunSpecModel] = [.common, .battery, .lithiumIonString]
}
