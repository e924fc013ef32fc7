import CModbus
import Foundation

/// One unit's registers as a libmodbus mapping: holding and input registers hold the same
/// values from `start` on; coils and discrete inputs are empty (reads: illegal address).
/// Immutable once built; freed when the last reader lets go.
public final class UnitRegisters: @unchecked Sendable {
    let mapping: UnsafeMutablePointer<modbus_mapping_t>
    /// First register address.
    public let start: Int
    /// The registers from `start` on.
    public let registers: [UInt16]

    /// A mapping of `registers` at `start` (start + count must not pass 65536).
    public init(start: Int, registers: [UInt16]) {
        precondition(start >= 0 && start + registers.count <= 65536, "register block past 65535")
        self.start = start
        self.registers = registers
        let count = UInt32(registers.count)
        guard let m = modbus_mapping_new_start_address(0, 0, 0, 0, UInt32(start), count, UInt32(start), count) else {
            fatalError("libmodbus could not allocate \(registers.count) registers")
        }
        registers.withUnsafeBufferPointer { src in
            if let base = src.baseAddress {
                m.pointee.tab_registers.update(from: base, count: registers.count)
                m.pointee.tab_input_registers.update(from: base, count: registers.count)
            }
        }
        mapping = m
    }

    deinit { modbus_mapping_free(mapping) }

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

    init(_ image: RegisterImage) { self.image = image }

    var current: RegisterImage {
        get {
            lock.withLock {
                if let render = pending {
                    pending = nil
                    image = render()
                }
                return image
            }
        }
        set { lock.withLock { pending = nil; image = newValue } }
    }

    /// Replaces the image by what `render` returns, the next time it is read.
    func update(later render: @escaping @Sendable () -> RegisterImage) {
        lock.withLock { pending = render }
    }
}
