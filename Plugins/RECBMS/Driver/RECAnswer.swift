import BMSDriverKit

/// The values of an Array answer: the count from the first frame, the fixed-position
/// fields in position order, and the "template" values of each data frame (one frame per
/// BMS unit for unit-count answers such as CELL, PTEM, RINT).
public struct RECArray: Sendable, Equatable {
    public var count: Int
    public var fixed: [Double]
    public var units: [[Double]]
}

/// A decoded answer, shaped by the instruction's handler.
public enum RECAnswer: Sendable, Equatable {
    case text(String)
    case number(Double)
    case array(RECArray)

    /// Data frames that follow the count frame of an Array answer whose count frame says `count`.
    static func dataFrames(_ instruction: RECInstructionSet.Instruction, count: Int) -> Int {
        instruction.fields.first?.unit == "UnitCount" ? max(count, 0) : 1
    }

    /// The count an Array answer's first frame carries (ASCII digits).
    static func count(_ frame: RECFrame, _ code: String) throws(DriverError) -> Int {
        let text = frame.text.trimmingCharactersInSpace()
        guard let n = Int(text), n >= 0, n <= 255 else {
            throw .frame("\(code): the first answer frame should hold a count, not '\(text)'")
        }
        return n
    }

    /// Frames needed for the whole answer, given the ones received so far (nil: unknown yet).
    public static func framesNeeded(_ instruction: RECInstructionSet.Instruction, first: RECFrame) throws(DriverError) -> Int {
        guard instruction.handler == .array else { return 1 }
        return 1 + dataFrames(instruction, count: try count(first, instruction.code))
    }

    /// A float32, little-endian, as the shortest decimal that round-trips (3.3, not 3.2999999523).
    static func float(_ b: ArraySlice<UInt8>) -> Double {
        let i = b.startIndex
        let bits = UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
        let f = Float(bitPattern: bits)
        return f.isFinite ? Double("\(f)") ?? Double(f) : .nan
    }

    /// Decodes the frames of one answer to `instruction`.
    public static func decode(_ instruction: RECInstructionSet.Instruction, frames: [RECFrame]) throws(DriverError) -> RECAnswer {
        guard let first = frames.first else { throw .frame("\(instruction.code): no answer frame") }
        switch instruction.handler {
        case .string:
            return .text(first.text.trimmingCharactersInSpace())
        case .range:
            let text = first.text.trimmingCharactersInSpace()
            guard let v = Double(text), v.isFinite else {
                throw .frame("\(instruction.code): expected a number, got '\(text)'")
            }
            return .number(v)
        case .array:
            let count = try count(first, instruction.code)
            let expected = dataFrames(instruction, count: count)
            guard frames.count == 1 + expected else {
                throw .frame("\(instruction.code): \(expected) data frame(s) expected after the count, got \(frames.count - 1)")
            }
            let fixed = instruction.fields.filter { ($0.position ?? 0) > 0 }.sorted { $0.position! < $1.position! }
            let template = instruction.fields.first { $0.position == nil }
            var result = RECArray(count: count, fixed: [], units: [])
            for (n, frame) in frames.dropFirst().enumerated() {
                let bytes = frame.message
                var at = 0
                if n == 0 {
                    let need = fixed.reduce(0) { $0 + $1.size }
                    guard bytes.count >= need else {
                        throw .frame("\(instruction.code): data frame has \(bytes.count) bytes, \(need) needed")
                    }
                    for f in fixed {
                        result.fixed.append(f.size == 4 ? float(bytes[at..<(at + 4)]) : Double(bytes[at]))
                        at += f.size
                    }
                }
                guard let template else {
                    guard at == bytes.count else {
                        throw .frame("\(instruction.code): data frame has \(bytes.count) bytes, \(at) expected")
                    }
                    continue
                }
                guard (bytes.count - at) % template.size == 0 else {
                    throw .frame("\(instruction.code): \(bytes.count - at) value bytes are not a whole number of \(template.type)s")
                }
                var values: [Double] = []
                while at < bytes.count {
                    values.append(template.size == 4 ? float(bytes[at..<(at + 4)]) : Double(bytes[at]))
                    at += template.size
                }
                result.units.append(values)
            }
            if instruction.fields.first?.unit == "ByteCount", template == nil, let data = frames.dropFirst().first,
               data.message.count != count {
                throw .frame("\(instruction.code): count frame says \(count) bytes, data frame has \(data.message.count)")
            }
            return .array(result)
        }
    }
}
