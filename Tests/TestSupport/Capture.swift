import Foundation

/// Frames captured from real devices (or published with an implementation), kept as files:
/// `testdata/<name>.hex` beside the test file that uses them. A file holds one frame per
/// line, in hex (spaces allowed; a frame may continue on the next line after a trailing
/// `\`); lines starting with `#` say where the capture comes from.
public enum Capture {
    /// Every frame of `testdata/<name>.hex` beside `file` (the calling test file).
    public static func frames(_ name: String, file: StaticString = #filePath) -> [[UInt8]] {
        let dir = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().path
        let path = dir + "/testdata/" + name + ".hex"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            fatalError("no capture \(path)")
        }
        var frames: [[UInt8]] = []
        var current = ""
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasSuffix("\\") {
                current += line.dropLast()
                continue
            }
            current += line
            frames.append(parse(current, path))
            current = ""
        }
        if !current.isEmpty { frames.append(parse(current, path)) }
        return frames
    }

    /// The one frame of `testdata/<name>.hex` beside `file`.
    public static func bytes(_ name: String, file: StaticString = #filePath) -> [UInt8] {
        let all = frames(name, file: file)
        precondition(all.count == 1, "\(name).hex holds \(all.count) frames, not one")
        return all[0]
    }

    private static func parse(_ text: String, _ path: String) -> [UInt8] {
        let digits = text.filter { !$0.isWhitespace }
        precondition(digits.count % 2 == 0, "\(path): an odd number of hex digits")
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = digits.startIndex
        while i < digits.endIndex {
            let j = digits.index(i, offsetBy: 2)
            guard let b = UInt8(digits[i..<j], radix: 16) else { preconditionFailure("\(path): not hex: \(digits[i..<j])") }
            out.append(b)
            i = j
        }
        return out
    }
}

extension Capture {
    /// An ASCII frame shared by several test targets: the first non-comment line of
    /// `Tests/Fixtures/captures/<name>.txt`, with the CR that ends it on the wire.
    public static func asciiFrame(_ name: String) -> [UInt8] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path
        let path = root + "/Fixtures/captures/" + name + ".txt"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let line = text.split(whereSeparator: \.isNewline).first(where: { !$0.hasPrefix("#") && !$0.isEmpty }) else {
            fatalError("no capture \(path)")
        }
        return Array(line.utf8) + [0x0D]
    }
}
