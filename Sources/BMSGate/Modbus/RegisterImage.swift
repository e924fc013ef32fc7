import Foundation

/// One unit's registers: holding and input registers hold the same values from `start` on;
/// coils and discrete inputs are empty (reads: illegal address). Immutable once built.
public struct UnitRegisters: Sendable {
    /// First register address.
    public let start: Int
    /// The registers from `start` on.
    public let registers: [UInt16]

    /// The block of `registers` at `start` (start + count must not pass 65536).
    public init(start: Int, registers: [UInt16]) {
        precondition(start >= 0 && start + registers.count <= 65536, "register block past 65535")
        self.start = start
        self.registers = registers
    }

    /// The register at `address`, nil outside the block.
    public subscript(address: Int) -> UInt16? {
        address >= start && address < start + registers.count ? registers[address - start] : nil
    }
}

/// Every unit's registers at one moment. A new image replaces the old one as a whole, so a
/// client never reads half an update.
public final class RegisterImage: Sendable {
    /// Unit id -> registers.
    public let units: [UInt8: UnitRegisters]

    /// An image of `units`.
    public init(units: [UInt8: UnitRegisters]) { self.units = units }
}

/// The current image, swapped atomically by the sink and read by every connection. The
/// sink may leave a render instead of an image: it runs when a client next reads (under
/// the box's lock, so once), and a newer render replaces one that never ran.
final class RegisterImageBox: @unchecked Sendable {
    private let lock = NSLock()
    private var image: RegisterImage
    private var pending: (@Sendable () -> RegisterImage)?
    /// The stall rule: past `deadlineMs` (monotonic) with no newer update, reads get what
    /// `render` returns (the gateway-stalled commands), rendered once.
    private var stall: (deadlineMs: UInt64, render: @Sendable () -> RegisterImage)?
    private var stalledImage: RegisterImage?

    private let clock: any GatewayClock

    init(_ image: RegisterImage, clock: any GatewayClock = SystemClock()) {
        self.image = image
        self.clock = clock
    }

    var current: RegisterImage {
        get { read(nowMs: clock.nowMs()) }
        set { lock.withLock { pending = nil; stall = nil; stalledImage = nil; image = newValue } }
    }

    /// The image a read at `nowMs` gets.
    func read(nowMs: UInt64) -> RegisterImage {
        lock.withLock {
            if let stall, nowMs > stall.deadlineMs {
                if stalledImage == nil { stalledImage = stall.render() }
                return stalledImage!
            }
            if let render = pending {
                pending = nil
                image = render()
            }
            return image
        }
    }

    /// Replaces the image by what `render` returns, the next time it is read.
    func update(later render: @escaping @Sendable () -> RegisterImage) {
        lock.withLock { pending = render }
    }

    /// Until the next update, reads after `deadlineMs` get `render`'s image instead.
    func stall(after deadlineMs: UInt64, render: @escaping @Sendable () -> RegisterImage) {
        lock.withLock {
            stall = (deadlineMs, render)
            stalledImage = nil
        }
    }
}
