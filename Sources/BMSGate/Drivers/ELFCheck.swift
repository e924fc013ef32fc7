import Foundation

/// Checks that a file is a complete, consistent 64-bit little-endian ELF shared object
/// before it is dlopen()ed: a truncated copy of a plugin would otherwise be mapped and
/// crash the process with a bus error when the loader touches the missing pages.
enum ELFCheck {
    /// Why `path` cannot be a loadable plugin, or nil when its headers hold together.
    static func problem(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "cannot be read" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: 0)
        guard size >= 64, let header = try? handle.read(upToCount: 64), header.count == 64 else {
            return "not a shared object (\(size) bytes, shorter than an ELF header)"
        }
        let h = [UInt8](header)
        guard h[0] == 0x7F, h[1] == 0x45, h[2] == 0x4C, h[3] == 0x46 else { return "not a shared object (no ELF header)" }
        guard h[4] == 2, h[5] == 1 else { return "not a 64-bit little-endian ELF file" }
        func u16(_ b: [UInt8], _ i: Int) -> UInt64 { UInt64(b[i]) | UInt64(b[i + 1]) << 8 }
        func u64(_ b: [UInt8], _ i: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[i + $1]) << (8 * UInt64($1)) } }
        guard u16(h, 16) == 3 else { return "an ELF file, but not a shared object (type \(u16(h, 16)))" }
        let phoff = u64(h, 32), shoff = u64(h, 40)
        let phentsize = u16(h, 54), phnum = u16(h, 56), shentsize = u16(h, 58), shnum = u16(h, 60)
        let phEnd = phoff.addingReportingOverflow(phentsize * phnum)
        guard phentsize >= 56, !phEnd.overflow, phEnd.partialValue <= size else {
            return "truncated or damaged: its program headers end past the file (\(size) bytes)"
        }
        if shoff != 0 {
            let shEnd = shoff.addingReportingOverflow(shentsize * shnum)
            guard !shEnd.overflow, shEnd.partialValue <= size else {
                return "truncated or damaged: its section headers end at byte \(shEnd.partialValue), the file has \(size)"
            }
        }
        try? handle.seek(toOffset: phoff)
        guard let table = try? handle.read(upToCount: Int(phentsize * phnum)), UInt64(table.count) == phentsize * phnum else {
            return "truncated: its program headers cannot be read"
        }
        let p = [UInt8](table)
        for i in 0..<Int(phnum) {
            let base = i * Int(phentsize)
            guard u64(p, base) & 0xFFFF_FFFF == 1 else { continue }  // PT_LOAD
            let end = u64(p, base + 8).addingReportingOverflow(u64(p, base + 32))  // p_offset + p_filesz
            guard !end.overflow, end.partialValue <= size else {
                return "truncated: a loadable segment ends at byte \(end.partialValue), the file has \(size)"
            }
        }
        return nil
    }
}
