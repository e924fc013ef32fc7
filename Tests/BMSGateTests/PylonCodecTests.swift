import BMSGateTestSupport
import Testing

@testable import BMSGate
@testable import PylonCodec

/// The Pylontech RS485 codec against frames captured from real batteries.
struct PylonCodecTests {
    /// A US2000/US3000 answer to 0x42 for address 2, published with its request
    /// `~20024642E00202FD33` in the Pylontech-protocol notes of a public project (the PHP
    /// and Markdown captures the search for "~20024600F07A" finds): 15 cells, 5 temperatures,
    /// -3.2 A, 49.037 V, 4 user items with 3-byte capacities 48.1 Ah of 74 Ah, 27 cycles.
    static let capture = Capture.asciiFrame("pylontech-us2000-0x42")

    @Test func decodesACapturedAnalogAnswerWithEveryValue() throws {
        let frame = try PylonFrame.decode(Self.capture)
        #expect(frame.version == 0x20 && frame.address == 2 && frame.cid1 == 0x46 && frame.cid2 == 0)
        #expect(frame.info.count == 61)
        let (value, modules) = try PylonInfo.readAnalog(frame.info, allModules: false)
        #expect(value == 2)
        let m = try #require(modules.first)
        #expect(m.cells == [3.269, 3.267, 3.269, 3.268, 3.268, 3.270, 3.269, 3.268, 3.271, 3.269, 3.270, 3.270, 3.269, 3.270, 3.270])
        #expect(m.temperatures == [14.0, 12.0, 12.0, 13.0, 13.0])
        #expect(m.current == -3.2 && m.voltage == 49.037)
        #expect(m.remainingCapacity == 48.1 && m.totalCapacity == 74.0 && m.cycles == 27)
        // Encoding the decoded values gives the captured frame back, byte for byte.
        let again = PylonFrame(address: 2, cid2: 0, info: PylonInfo.analog(commandValue: 2, modules: [m]))
        #expect(again.encoded == Self.capture)
    }

    @Test func requestsAndEmptyAnswersAsCaptured() throws {
        // python-pylontech's 0x42 to address 2 for all modules, and the request of the capture.
        #expect(PylonFrame(address: 2, cid2: 0x42, info: [0xFF]).encoded == Array("~20024642E002FFFD09\r".utf8))
        #expect(PylonFrame(address: 2, cid2: 0x42, info: [0x02]).encoded == Array("~20024642E00202FD33\r".utf8))
        #expect(PylonFrame(address: 2, cid2: 0x93, info: [0x02]).encoded == Array("~20024693E00202FD2D\r".utf8))
        #expect(PylonFrame(address: 3, cid2: 0x42, info: [0x03]).encoded == Array("~20034642E00203FD31\r".utf8))
        #expect(PylonFrame(address: 2, cid2: 0).encoded == Array("~200246000000FDB2\r".utf8))
        let four = try PylonFrame.decode(Array("~20024600800800000000FC22\r".utf8))
        #expect(four.info == [0, 0, 0, 0])
    }

    @Test func theLengthChecksumIsZeroWhenTheNibbleSumIsAMultipleOf16() {
        #expect(PylonFrame.lengthField(characters: 0) == 0x0000)
        #expect(PylonFrame.lengthField(characters: 2) == 0xE002)
        #expect(PylonFrame.lengthField(characters: 0x07A) == 0xF07A)
        #expect(PylonFrame.lengthField(characters: 0x0F1) == 0x00F1, "F + 1 = 16: LCHKSUM 0, never 16")
        #expect(PylonFrame.lengthField(characters: 0x088) == 0x0088)
        #expect(PylonFrame.lengthField(characters: 0xFFF) == 0x3FFF, "45 mod 16 = 13: LCHKSUM 3")
        // INFO of 0x88 characters: 8 + 8 = 16, so LENGTH is 0088 and the frame still decodes.
        let info = [UInt8](repeating: 0x5A, count: 0x88 / 2)
        let f = PylonFrame(address: 2, cid2: 0, info: info)
        #expect(Array(f.encoded[9..<13]) == Array("0088".utf8))
        #expect((try? PylonFrame.decode(f.encoded)) == f)
    }

    @Test func badFramesAreRefusedWithTheirReturnCode() {
        func code(_ text: String) -> PylonReturnCode? {
            do {
                _ = try PylonFrame.decode(Array(text.utf8))
                return nil
            } catch {
                return error.returnCode
            }
        }
        #expect(code("~20024642E00202FD34\r") == .checksum)
        /// `body` (VER to the end of INFO) with a correct CHKSUM, whatever LENGTH says.
        func framed(_ body: String) -> String {
            "~" + body + String(format: "%04X", PylonFrame.checksum(Array(body.utf8))) + "\r"
        }
        #expect(code(framed("20024642F00202")) == .lengthChecksum)
        #expect(code(framed("20024642C00402")) == .format, "LENID 4 (LCHKSUM right), INFO 2 characters")
        #expect(code("20024642E00202FD33\r") == .format)
        #expect(code("~2002464XE00202FD33\r") == .format)
        #expect(code("~2002\r") == .format)
        #expect(PylonReturnCode.allCases.map(\.rawValue) == [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x90, 0x91])
    }

    @Test func managementRoundTripsWithANegativeDischargeLimit() throws {
        var m = PylonManagement(chargeVoltage: 53.25, dischargeVoltage: 47.0, chargeCurrent: 74, dischargeCurrent: 148,
                                chargeEnabled: true, dischargeEnabled: false)
        m.fullChargeRequest = true
        let info = m.info(commandValue: 2)
        #expect(info == [0x02, 0xD0, 0x02, 0xB7, 0x98, 0x02, 0xE4, 0x05, 0xC8, 0x88])
        #expect(try PylonManagement.decode(info) == m)
        // Real batteries send the discharge limit negative: read as a magnitude.
        var negative = info
        negative[7] = 0xFA; negative[8] = 0x38  // -1480 = -148.0 A
        #expect(try PylonManagement.decode(negative).dischargeCurrent == 148)
    }

    @Test func theSplitterFindsFramesInNoise() {
        var s = PylonFrameSplitter()
        #expect(s.feed(Array("junk~2002".utf8)).isEmpty)
        #expect(s.feed(Array("4642E00202FD33\r~200246".utf8)) == [Array("~20024642E00202FD33\r".utf8)])
        #expect(s.skipped == 4)
        #expect(s.feed(Array("~20024642E00202FD33\r".utf8)).count == 1, "a new ~ restarts the frame")
    }

    @Test func fuzzedFramesNeverTrap() {
        let seeds = [Self.capture, Array("~20024642E002FFFD09\r".utf8), Array("~200246000000FDB2\r".utf8)]
        var decoded = 0
        FuzzBudget.run("pylon frames") { rng, round in
            var bytes = round % 3 == 0 ? [0x7E] + rng.bytes(maxLength: 200) + [0x0D] : seeds[round % seeds.count]
            for _ in 0..<(round % 4) { bytes = rng.mutation(of: bytes) }
            if let frame = try? PylonFrame.decode(bytes) {
                decoded += 1
                _ = try? PylonInfo.readAnalog(frame.info, allModules: round % 2 == 0)
                _ = try? PylonManagement.decode(frame.info)
            }
            var splitter = PylonFrameSplitter()
            _ = splitter.feed(bytes)
        }
        #expect(decoded > 0)
    }
}
