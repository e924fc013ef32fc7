/// Where one point of a compiled SunSpec model sits: its register offset from the model's
/// ID register (points of the repeating group: in the first repetition) and its type.
struct SunSpecSlot: Sendable {
    let offset: Int
    let type: RegisterType
}

/// A SunSpec model compiled once: every point's offset, and the model's registers with
/// every point "not implemented". Filling a model is then index arithmetic on a copy of
/// `blank`: no names, dictionaries or temporary arrays per reading.
struct SunSpecLayout: Sendable {
    let model: SunSpecModel
    /// ID, L and every point not implemented, with `groups` repetitions of the group.
    let blank: [UInt16]
    private let slots: [String: SunSpecSlot]

    /// Compiles `model` with `groups` repetitions of its repeating group (0 or 1 here).
    init(_ model: SunSpecModel, groups: Int) {
        self.model = model
        var registers: [UInt16] = [model.id, UInt16(model.fixedLength + model.repeatLength * groups)]
        var slots: [String: SunSpecSlot] = [:]
        for point in model.points.dropFirst(2) {
            slots[point.name] = SunSpecSlot(offset: registers.count, type: point.type)
            registers += point.type.unimplemented
        }
        for repetition in 0..<groups {
            for point in model.repeating {
                if repetition == 0 { slots[point.name] = SunSpecSlot(offset: registers.count, type: point.type) }
                registers += point.type.unimplemented
            }
        }
        blank = registers
        self.slots = slots
    }

    /// The slot of `point` (compile time only: a name the model does not have is a bug).
    subscript(_ point: String) -> SunSpecSlot {
        guard let slot = slots[point] else { preconditionFailure("model \(model.id) has no point \(point)") }
        return slot
    }
}

/// One model's registers being filled through compiled slots.
struct SunSpecModelRegisters {
    var registers: [UInt16]

    /// Starts from the layout's "not implemented" registers.
    init(_ layout: SunSpecLayout) { registers = layout.blank }

    /// An integer (already in the type's range), high word first for 32-bit types.
    mutating func set(_ slot: SunSpecSlot, _ value: Int64) {
        switch slot.type {
        case .uint32, .int32, .bitfield32:
            let bits = UInt32(truncatingIfNeeded: value)
            registers[slot.offset] = UInt16(bits >> 16)
            registers[slot.offset + 1] = UInt16(bits & 0xFFFF)
        default:
            registers[slot.offset] = UInt16(truncatingIfNeeded: value)
        }
    }

    /// `value` at scale factor `sf` (nil, NaN or out of range: not implemented).
    mutating func set(_ slot: SunSpecSlot, _ value: Double?, sf: Int) {
        ScaleFactor.write(value, sf, type: slot.type, into: &registers, at: slot.offset)
    }

    /// Text, NUL-padded to the slot's length.
    mutating func set(_ slot: SunSpecSlot, text: String) {
        let encoded = RegisterType.encodeString(text, registers: slot.type.size)
        registers.replaceSubrange(slot.offset..<(slot.offset + encoded.count), with: encoded)
    }

    /// Values sharing one scale factor: picks it (the finest from `preferred` to `coarsest`
    /// at which all fit), writes each value and the factor.
    mutating func scaled(_ slots: (SunSpecSlot, Double?)..., sf: SunSpecSlot, _ preferred: Int, _ coarsest: Int) {
        scaled(slots, sf: sf, preferred, coarsest)
    }

    /// `scaled` for a list built by the caller.
    mutating func scaled(_ slots: [(SunSpecSlot, Double?)], sf: SunSpecSlot, _ preferred: Int, _ coarsest: Int) {
        let exp = ScaleFactor.choose(slots.lazy.map(\.1), type: slots[0].0.type, preferred: preferred, coarsest: coarsest)
        for (slot, value) in slots { set(slot, value, sf: exp) }
        set(sf, Int64(exp))
    }
}
