import BMSDriverKit
import CBMSDriver
import Foundation

/// The REC BMS driver (RS485; the serial settings, DTR and the answer timeout are the
/// shipped instruction set's Client block: 38400 8N1, DTR on; addresses 1...15, MultiBMS units behind
/// one address). Every poll reads LCD1, CELL, PTEM and ERRO; the other read instructions of
/// the instruction set (identity, versions, LCD3, BTEM, RINT and every setting) are read a
/// few per poll in turn and kept, so a poll stays short while everything stays current.
/// Requests are spaced by the session throttle and retried per the session rules.
///
/// Options: `instructions` (path of the JSON), `throttle` (ms, default the JSON's
/// SessionThrottle), `retries` (per request, default the JSON's Retries), `rotate` (extra
/// instructions per poll, default 2).
public final class RECDriver: BMSDriver {
    public static let description = DriverDescription(
        id: "rec-bms", vendor: "REC (Rezanje Elektrotehnika)", version: "1.0.0",
        summary: "REC BMS over RS485 from its instruction set: cells per unit, temperatures, resistances, errors, settings",
        transports: UInt32(BMS_TRANSPORT_SERIAL.rawValue | BMS_TRANSPORT_TCP.rawValue),
        defaultBaud: UInt32(shipped?.baud ?? 38400),
        serialDefaults: shipped?.serialDefaults ?? [],
        commands: [
            CommandDescriptor("list", summary: "Instructions of the instruction set, with ranges and whether they write", http: ("GET", "settings")),
            CommandDescriptor("get", summary: "Read one instruction (e.g. BVOL)", http: ("POST", "settings/get"),
                              requestSchema: #"{"type":"object","properties":{"instruction":{"type":"string"}},"required":["instruction"]}"#),
            CommandDescriptor("set", summary: "Write one setting (range-checked, read back, logged)", writes: true, http: ("POST", "settings/set"),
                              requestSchema: #"{"type":"object","properties":{"instruction":{"type":"string"},"value":{"type":"number"},"confirm":{"type":"boolean"}},"required":["instruction","value","confirm"]}"#),
        ],
        options: [
            .busAddress(1...15, help: "REC BMS address on the RS485 line (1-15)"),
            OptionDescriptor("instructions", .string, help: "path of an instruction set JSON (default: the one shipped with the plugin)"),
            OptionDescriptor("throttle", .string, help: "pause between requests, ms (0-10000, e.g. 100 or 100ms; default from the instruction set)"),
            OptionDescriptor("retries", .int, range: 0...10, help: "retries of a request that got no answer (default from the instruction set)"),
            OptionDescriptor("rotate", .int, default: "2", range: 0...100, help: "extra instructions read per poll, in turn"),
        ])

    static let core = ["LCD1", "CELL", "PTEM", "ERRO"]
    /// The instruction set shipped next to the plugin (its Client block gives the serial defaults).
    static let shipped = try? RECInstructionSet.load()

    let link: Link
    public let address: UInt8
    public let set: RECInstructionSet
    let throttleMs: UInt32
    let retries: Int
    let rotate: Int
    let allowWrites: Bool
    /// Instructions read in turn, and where the turn is.
    let rotation: [RECInstructionSet.Instruction]
    var next = 0
    /// Last answers of rotating instructions, by code.
    public private(set) var cache: [String: RECAnswer] = [:]
    var lastRequest: UInt64?

    public init(link: Link, options: DriverOptions) throws(DriverError) {
        try options.rejectUnknown(["instructions", "throttle", "retries", "rotate"])
        guard let a = DriverOptions.parseInteger(link.address), (1...15).contains(a) else {
            throw .invalid("address '\(link.address)' is not a REC BMS address (1...15)")
        }
        self.link = link
        address = UInt8(a)
        set = try RECInstructionSet.load(path: options["instructions"])
        func number(_ key: String, _ range: ClosedRange<Int>, _ fallback: Int) throws(DriverError) -> Int {
            guard let text = options[key] else { return fallback }
            guard let v = DriverOptions.parseInteger(text.hasSuffix("ms") ? String(text.dropLast(2)) : text), range.contains(v) else {
                throw .invalid("option \(key)='\(text)' must be within \(range.lowerBound)...\(range.upperBound)")
            }
            return v
        }
        throttleMs = UInt32(try number("throttle", 0...10_000, set.throttleMs))
        retries = try number("retries", 0...10, set.retries)
        rotate = try number("rotate", 0...100, 2)
        allowWrites = options.allowWrites
        rotation = set.instructions.filter { !Self.core.contains($0.code) }
    }

    public func poll() throws(DriverError) -> DriverReading {
        var answers: [String: RECAnswer] = [:]
        for code in Self.core {
            guard let instruction = set.instruction(code) else { continue }
            answers[code] = try ask(instruction)
        }
        if !rotation.isEmpty {
            for _ in 0..<min(rotate, rotation.count) {
                let instruction = rotation[next % rotation.count]
                next += 1
                do {
                    cache[instruction.code] = try ask(instruction)
                } catch where error.status == BMS_ERR_TIMEOUT.rawValue || error.status == BMS_ERR_FRAME.rawValue {
                    // Not every REC model knows every instruction; the core data still counts.
                    link.log(BMS_LOG_DEBUG, "\(instruction.code)? not answered: \(error.message)")
                }
            }
        }
        return RECReading.build(set: set, core: answers, cache: cache)
    }

    public func identify() throws(DriverError) -> DriverIdentity {
        for code in ["*IDN", "SWVR", "HWVR"] where cache[code] == nil {
            if let instruction = set.instruction(code) { cache[code] = try ask(instruction) }
        }
        return RECReading.identity(cache)
    }

    /// Waits out the session throttle since the last request.
    func throttle() {
        if let last = lastRequest {
            let elapsed = link.nowMs() - last
            if elapsed < UInt64(throttleMs) { link.sleep(ms: throttleMs - UInt32(elapsed)) }
        }
        lastRequest = link.nowMs()
    }

    /// Sends `message` and collects the frames of its answer, with the session retries.
    public func ask(_ instruction: RECInstructionSet.Instruction, message: String? = nil) throws(DriverError) -> RECAnswer {
        var attempt = 0
        while true {
            do {
                throttle()
                let frames = try exchange(message ?? instruction.code + "?", instruction)
                return try RECAnswer.decode(instruction, frames: frames)
            } catch {
                attempt += 1
                if attempt > retries || error.status == BMS_ERR_INVALID.rawValue { throw error }
                link.log(BMS_LOG_DEBUG, "\(instruction.code): \(error.message); retry \(attempt) of \(retries)")
            }
        }
    }

    func exchange(_ message: String, _ instruction: RECInstructionSet.Instruction) throws(DriverError) -> [RECFrame] {
        var decoder = RECFrameDecoder()
        var buffer: [UInt8] = []
        var frame = try link.transact(RECFrame.request(address: address, message), decoder: &decoder, buffer: &buffer)
        var frames: [RECFrame] = []
        var needed = 1
        while true {
            // Our own request echoed, or another unit's answer on a shared line: not ours.
            if frame.destination == 0 && frame.source == address {
                frames.append(frame)
                if frames.count == 1 { needed = try RECAnswer.framesNeeded(instruction, first: frame) }
                if frames.count >= needed { return frames }
            }
            frame = try link.receive(decoder: &decoder, buffer: &buffer)
        }
    }

    public func command(_ requestJSON: String) throws(DriverError) -> String {
        try RECCommand.run(requestJSON, driver: self)
    }

    /// Whether the pack's config allows writes.
    var writesAllowed: Bool { allowWrites }

    public static func discover(link: Link, options: DriverOptions, found: (String, String) -> Void) throws(DriverError) {
        for a in 1...15 {
            var decoder = RECFrameDecoder()
            do {
                let frame = try link.transact(RECFrame.request(address: UInt8(a), "*IDN?"), decoder: &decoder)
                if frame.source == UInt8(a) { found(String(a), frame.text) }
            } catch {
                continue
            }
        }
    }

    public static func decode(frames: [[UInt8]], options: DriverOptions) throws(DriverError) -> (DriverReading, DriverIdentity) {
        try RECCapture.decode(frames: frames, options: options)
    }
}
