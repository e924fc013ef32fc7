/// The points SunSpecImage fills, resolved once per model (`shared`), so an encoder reads
/// offsets from one struct instead of looking names up for every reading.

/// Model 1 (common).
struct CommonSlots: Sendable {
    static let shared = CommonSlots()
    let layout = SunSpecLayout(.common, groups: 0)
    let mn, md, opt, vr, sn, da: SunSpecSlot

    private init() {
        let l = layout
        (mn, md, opt, vr, sn, da) = (l["Mn"], l["Md"], l["Opt"], l["Vr"], l["SN"], l["DA"])
    }
}

/// Model 802 (battery base: the bank).
struct BatterySlots: Sendable {
    static let shared = BatterySlots()
    let layout = SunSpecLayout(.battery, groups: 0)
    let ahRtg, whRtg, wChaRteMax, wDisChaRteMax, soc, socRsvMin, dod, soh, nCyc: SunSpecSlot
    let chaSt, locRemCtl, hb, almRst, typ, state, stateVnd, evt1, evt2, evtVnd1, evtVnd2: SunSpecSlot
    let v, vMax, vMin, cellVMax, cellVMaxStr, cellVMaxMod, cellVMin, cellVMinStr, cellVMinMod, cellVAvg: SunSpecSlot
    let a, aChaMax, aDisChaMax, w, reqInvState: SunSpecSlot
    let ahRtgSF, whRtgSF, wChaDisChaMaxSF, socSF, dodSF, sohSF, vSF, cellVSF, aSF, aMaxSF, wSF: SunSpecSlot

    private init() {
        let l = layout
        (ahRtg, whRtg, wChaRteMax, wDisChaRteMax) = (l["AHRtg"], l["WHRtg"], l["WChaRteMax"], l["WDisChaRteMax"])
        (soc, socRsvMin, dod, soh, nCyc) = (l["SoC"], l["SoCRsvMin"], l["DoD"], l["SoH"], l["NCyc"])
        (chaSt, locRemCtl, hb, almRst, typ) = (l["ChaSt"], l["LocRemCtl"], l["Hb"], l["AlmRst"], l["Typ"])
        (state, stateVnd, evt1, evt2, evtVnd1, evtVnd2) = (l["State"], l["StateVnd"], l["Evt1"], l["Evt2"], l["EvtVnd1"], l["EvtVnd2"])
        (v, vMax, vMin) = (l["V"], l["VMax"], l["VMin"])
        (cellVMax, cellVMaxStr, cellVMaxMod) = (l["CellVMax"], l["CellVMaxStr"], l["CellVMaxMod"])
        (cellVMin, cellVMinStr, cellVMinMod, cellVAvg) = (l["CellVMin"], l["CellVMinStr"], l["CellVMinMod"], l["CellVAvg"])
        (a, aChaMax, aDisChaMax, w, reqInvState) = (l["A"], l["AChaMax"], l["ADisChaMax"], l["W"], l["ReqInvState"])
        (ahRtgSF, whRtgSF, wChaDisChaMaxSF, socSF) = (l["AHRtg_SF"], l["WHRtg_SF"], l["WChaDisChaMax_SF"], l["SoC_SF"])
        (dodSF, sohSF, vSF, cellVSF) = (l["DoD_SF"], l["SoH_SF"], l["V_SF"], l["CellV_SF"])
        (aSF, aMaxSF, wSF) = (l["A_SF"], l["AMax_SF"], l["W_SF"])
    }
}

/// Model 804 (lithium-ion string: one pack) with its one module repetition.
struct StringSlots: Sendable {
    static let shared = StringSlots()
    let layout = SunSpecLayout(.lithiumIonString, groups: 1)
    let idx, nMod, st, conFail, nCellBal, soc, dod, nCyc, soh, a, v: SunSpecSlot
    let cellVMax, cellVMaxMod, cellVMin, cellVMinMod, cellVAvg: SunSpecSlot
    let modTmpMax, modTmpMaxMod, modTmpMin, modTmpMinMod, modTmpAvg: SunSpecSlot
    let evt1, evt2, evtVnd1, evtVnd2: SunSpecSlot
    let socSF, sohSF, dodSF, aSF, vSF, cellVSF, modTmpSF: SunSpecSlot
    let modNCell, modSoc, modSoh, modCellVMax, modCellVMaxCell, modCellVMin, modCellVMinCell, modCellVAvg: SunSpecSlot
    let modCellTmpMax, modCellTmpMin, modCellTmpAvg: SunSpecSlot

    private init() {
        let l = layout
        (idx, nMod, st, conFail, nCellBal) = (l["Idx"], l["NMod"], l["St"], l["ConFail"], l["NCellBal"])
        (soc, dod, nCyc, soh, a, v) = (l["SoC"], l["DoD"], l["NCyc"], l["SoH"], l["A"], l["V"])
        (cellVMax, cellVMaxMod, cellVMin) = (l["CellVMax"], l["CellVMaxMod"], l["CellVMin"])
        (cellVMinMod, cellVAvg) = (l["CellVMinMod"], l["CellVAvg"])
        (modTmpMax, modTmpMaxMod, modTmpMin) = (l["ModTmpMax"], l["ModTmpMaxMod"], l["ModTmpMin"])
        (modTmpMinMod, modTmpAvg) = (l["ModTmpMinMod"], l["ModTmpAvg"])
        (evt1, evt2, evtVnd1, evtVnd2) = (l["Evt1"], l["Evt2"], l["EvtVnd1"], l["EvtVnd2"])
        (socSF, sohSF, dodSF, aSF) = (l["SoC_SF"], l["SoH_SF"], l["DoD_SF"], l["A_SF"])
        (vSF, cellVSF, modTmpSF) = (l["V_SF"], l["CellV_SF"], l["ModTmp_SF"])
        (modNCell, modSoc, modSoh) = (l["ModNCell"], l["ModSoC"], l["ModSoH"])
        (modCellVMax, modCellVMaxCell, modCellVMin) = (l["ModCellVMax"], l["ModCellVMaxCell"], l["ModCellVMin"])
        (modCellVMinCell, modCellVAvg) = (l["ModCellVMinCell"], l["ModCellVAvg"])
        (modCellTmpMax, modCellTmpMin, modCellTmpAvg) = (l["ModCellTmpMax"], l["ModCellTmpMin"], l["ModCellTmpAvg"])
    }
}
