import Foundation

/// The site benchmark's command line: `--help` says it; an unknown flag or a bad value
/// is an error (exit 2), not a full run with the defaults.
struct BenchOptions {
    /// Seconds per measurement of sections 1 to 3.
    var seconds = 5.0
    /// Seconds of section 4 (CAN jitter).
    var canSeconds = 60.0
    /// Pack counts of section 5 (the gateway alone).
    var aloneSizes = [8, 32, 64, 128]
    /// Seconds per size of section 5.
    var aloneSeconds = 20.0
    /// The sections to run.
    var sections: Set<Int> = [1, 2, 3, 4, 5]

    static let usage = """
        usage: bmsgate-bench-site [--seconds S] [--can-seconds S] [--alone-sizes N,N,...] [--alone-seconds S] [--sections 1,2,3,4,5]
          1 poll cycle vs wire time   2 reading-to-register latency   3 a 32-pack site with every sink
          4 CAN frame-set jitter (--can-seconds, 60)   5 the gateway alone at each size (--alone-sizes 8,32,64,128, --alone-seconds 20)
        """

    init(_ arguments: [String]) {
        var args = arguments.makeIterator()
        func fail(_ why: String) -> Never {
            FileHandle.standardError.write(Data("bmsgate-bench-site: \(why)\n\(Self.usage)\n".utf8))
            exit(2)
        }
        func number(_ flag: String) -> Double {
            guard let v = args.next().flatMap(Double.init), v > 0 else { fail("\(flag) needs a positive number of seconds") }
            return v
        }
        func list(_ flag: String) -> [Int] {
            guard let text = args.next() else { fail("\(flag) needs a list such as 8,32") }
            let values = text.split(separator: ",").map { Int($0) }
            guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else { fail("\(flag): '\(text)' is not a list of positive numbers") }
            return values.map { $0! }
        }
        while let a = args.next() {
            switch a {
            case "--seconds": seconds = number(a)
            case "--can-seconds": canSeconds = number(a)
            case "--alone-sizes": aloneSizes = list(a)
            case "--alone-seconds": aloneSeconds = number(a)
            case "--sections": sections = Set(list(a))
            case "-h", "--help":
                print(Self.usage)
                exit(0)
            default: fail("unknown argument '\(a)'")
            }
        }
    }
}
