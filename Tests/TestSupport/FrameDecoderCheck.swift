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
