import Synchronization

/// A reading's extras with what is derived from them: the limits the BMS reports and the
/// extras' JSON as written before. Immutable, so readings whose extras are equal share
/// one, and one whose extras changed in a few places keeps the JSON of the rest: a BMS
/// reports dozens of settings that rarely change from poll to poll (Basen: ~100, of which
/// the cell min/max indexes move), so the JSON of the extras is written per change, not
/// per reading.
public final class ReadingExtras: Sendable, Equatable {
    /// The extras, in the order the driver set them.
    public let list: [(name: String, value: ExtraValue)]
    /// The limits the BMS reports among them.
    public let reportedLimits: ReportedLimits
    /// The names, shared by every `next` extras that keep them.
    public let names: ExtraNames
    /// Per entry: true for the first entry of its name (a repeated name keeps its first
    /// value in the JSON).
    var firstOfName: [Bool] { names.firstOfName }
    /// The JSON members of each `chunkSize` entries, once written (by `JSONWriter`).
    let chunks: [JSONFragmentCache]
    /// Entries per cached piece of JSON.
    static let chunkSize = 16

    /// Extras as given.
    public convenience init(_ list: [(name: String, value: ExtraValue)]) {
        self.init(list, names: ExtraNames(list.map(\.name)), chunks: Self.newChunks(list.count))
    }

    private init(_ list: [(name: String, value: ExtraValue)], names: ExtraNames, chunks: [JSONFragmentCache]) {
        self.list = list
        self.names = names
        self.chunks = chunks
        reportedLimits = ReportedLimits(list)
    }

    /// No extras.
    public static let none = ReadingExtras([])

    /// The extras of the next reading: `previous` itself when `list` holds the same names
    /// and values; otherwise new extras that keep `previous`'s JSON for every chunk whose
    /// entries are unchanged (when the names are the same throughout).
    public static func next(_ list: [(name: String, value: ExtraValue)], after previous: ReadingExtras) -> ReadingExtras {
        let old = previous.list
        guard old.count == list.count, old.elementsEqual(list, by: { $0.name == $1.name }) else { return ReadingExtras(list) }
        var chunks: [JSONFragmentCache] = []
        chunks.reserveCapacity(previous.chunks.count)
        var same = true
        for (k, cache) in previous.chunks.enumerated() {
            let range = k * chunkSize..<min(list.count, (k + 1) * chunkSize)
            if range.allSatisfy({ old[$0].value == list[$0].value }) {
                chunks.append(cache)
            } else {
                same = false
                chunks.append(JSONFragmentCache())
            }
        }
        return same ? previous : ReadingExtras(list, names: previous.names, chunks: chunks)
    }

    /// True when `other` holds the same names and values in the same order.
    public func holds(_ other: [(name: String, value: ExtraValue)]) -> Bool {
        list.count == other.count && list.elementsEqual(other) { $0.name == $1.name && $0.value == $1.value }
    }

    /// The same object, or the same names and values in the same order.
    public static func == (a: ReadingExtras, b: ReadingExtras) -> Bool { a === b || a.holds(b.list) }

    private static func newChunks(_ count: Int) -> [JSONFragmentCache] {
        (0..<(count + chunkSize - 1) / chunkSize).map { _ in JSONFragmentCache() }
    }
}

/// The names of a set of extras, in order: one object for as long as a BMS reports the
/// same names (which is what a sink deriving something from the names, such as Home
/// Assistant discovery, checks with one identity compare).
public final class ExtraNames: Sendable {
    /// The names, in the order the driver set them.
    public let list: [String]
    /// Per name: true for its first occurrence.
    let firstOfName: [Bool]

    /// Names as given.
    public init(_ list: [String]) {
        self.list = list
        if list.count <= 16 {
            firstOfName = list.indices.map { i in !list[..<i].contains(list[i]) }
        } else {
            var seen = Set<String>(minimumCapacity: list.count)
            firstOfName = list.map { seen.insert($0).inserted }
        }
    }

    /// The same object, or the same names.
    public static func same(_ a: ExtraNames, _ b: ExtraNames) -> Bool { a === b || a.list == b.list }
}

/// JSON as written once, for writers that meet the same members again (thread-safe: the
/// first writer stores them, the others copy the bytes).
public final class JSONFragmentCache: Sendable {
    private let bytes = Mutex<[UInt8]?>(nil)

    /// An empty cache.
    public init() {}

    /// The bytes stored, if any.
    var stored: [UInt8]? { bytes.withLock { $0 } }

    /// Keeps `fragment` unless something is stored already.
    func store(_ fragment: ArraySlice<UInt8>) {
        bytes.withLock { if $0 == nil { $0 = Array(fragment) } }
    }
}
