import BMSDriverKit

/// Checks a streaming frame decoder the way swift-nio's ByteToMessageDecoderVerifier does:
/// the same bytes fed one at a time, all at once, and frame by frame must give the same
/// frames. `decode` takes the bytes buffered so far and returns the next complete frame
/// (consuming it) or nil when more bytes are needed.
public enum FrameDecoderCheck {
    /// The frames decoded from `frames` in each feeding; throws what the decoder throws.
    public static func frames(_ frames: [[UInt8]], decode: (inout [UInt8]) throws -> [UInt8]?) rethrows
        -> (oneByte: [[UInt8]], allAtOnce: [[UInt8]], perFrame: [[UInt8]]) {
        func run(_ chunks: [[UInt8]]) throws -> [[UInt8]] {
            var buffer: [UInt8] = []
            var out: [[UInt8]] = []
            for chunk in chunks {
                buffer += chunk
                while let frame = try decode(&buffer) { out.append(frame) }
            }
            return out
        }
        let all = frames.flatMap { $0 }
        return (try run(all.map { [$0] }), try run([all]), try run(frames))
    }
}

extension FrameDecoderCheck {
    /// Feeds `frame` (one whole answer) byte by byte and asks the decoder after each byte how
    /// many more it wants: the answer must never exceed what the frame still has (a hint is a
    /// lower bound: the host waits for that many bytes), and once the header is in it must be
    /// exactly the rest (or the hint saves nothing). Returns the problems, empty when none,
    /// and how many prefixes got the exact rest.
    public static func hints<D: FrameDecoder>(_ decoder: D, frame: [UInt8]) -> (problems: [String], exact: Int) {
        var problems: [String] = []
        var exact = 0
        var d = decoder
        var buffer: [UInt8] = []
        for (k, byte) in frame.enumerated() {
            buffer.append(byte)
            let decoded: D.Frame?
            do { decoded = try d.decode(&buffer) } catch {
                problems.append("after \(k + 1) bytes: \(error)")
                break
            }
            if decoded != nil {
                if k + 1 != frame.count { problems.append("a frame after \(k + 1) of \(frame.count) bytes") }
                break
            }
            let rest = frame.count - (k + 1)
            let wanted = d.bytesWanted(after: buffer)
            if wanted < 1 || wanted > rest { problems.append("after \(k + 1) bytes: wants \(wanted), the frame has \(rest) more") }
            if wanted == rest && rest > 1 { exact += 1 }
        }
        return (problems, exact)
    }
}
