/// The entries of a zip archive whose members are stored uncompressed, as torch.save writes them
/// (the zip format of `torch.save`: miniz, stored, 64-byte aligned, sizes in data descriptors, zip64
/// when large). Entries are located through the central directory, every offset and size is checked
/// against the file, and an entry's bytes are a slice of the (mapped) file, not a copy.
struct StoredZip {
    struct Entry {
        var name: String
        var dataOffset: Int
        var size: Int
        var crc32: UInt32
    }

    let bytes: UnsafeRawBufferPointer
    private(set) var entries: [String: Entry] = [:]
    private(set) var names: [String] = []

    static let maximumEntries = 1 << 20

    static func isZip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 4 && bytes.loadUnaligned(as: UInt32.self) == UInt32(littleEndian: 0x0403_4B50)
    }

    init(_ bytes: UnsafeRawBufferPointer) throws {
        self.bytes = bytes
        let eocd = try Self.findEndOfCentralDirectory(bytes)
        var count = Int(try u16(eocd + 10))
        var directorySize = Int(try u32(eocd + 12))
        var directoryOffset = Int(try u32(eocd + 16))
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // zip64: the locator sits just before the classic record.
            let locator = eocd - 20
            guard locator >= 0, try u32(locator) == 0x0706_4B50 else { throw FeatureFileProblem("zip64 end-of-directory locator missing") }
            let record = try offset(try u64(locator + 8))
            guard try u32(record) == 0x0606_4B50 else { throw FeatureFileProblem("zip64 end-of-directory record missing") }
            count = try offset(try u64(record + 32))
            directorySize = try offset(try u64(record + 40))
            directoryOffset = try offset(try u64(record + 48))
        }
        guard count <= Self.maximumEntries else { throw FeatureFileProblem("zip declares \(count) entries") }
        guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset else {
            throw FeatureFileProblem("zip central directory lies outside the file")
        }
        var at = directoryOffset
        for _ in 0..<count {
            guard try u32(at) == 0x0201_4B50 else { throw FeatureFileProblem("zip central directory entry \(names.count) is damaged") }
            let method = try u16(at + 10)
            let crc = try u32(at + 16)
            var compressed = Int(try u32(at + 20))
            var size = Int(try u32(at + 24))
            let nameLength = Int(try u16(at + 28))
            let extraLength = Int(try u16(at + 30))
            let commentLength = Int(try u16(at + 32))
            var local = Int(try u32(at + 42))
            let name = try text(at + 46, nameLength)
            // zip64 extra field: the 64-bit values of whichever fields are saturated, in this order.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = try u16(extra)
                let length = Int(try u16(extra + 2))
                if id == 0x0001 {
                    var field = extra + 4
                    if size == 0xFFFF_FFFF {
                        size = try offset(try u64(field))
                        field += 8
                    }
                    if compressed == 0xFFFF_FFFF {
                        compressed = try offset(try u64(field))
                        field += 8
                    }
                    if local == 0xFFFF_FFFF {
                        local = try offset(try u64(field))
                        field += 8
                    }
                    guard field <= extra + 4 + length else { throw FeatureFileProblem("zip64 field of '\(name)' is too short") }
                }
                extra += 4 + length
            }
            at = extraEnd + commentLength
            guard at <= directoryOffset + directorySize else { throw FeatureFileProblem("zip central directory overruns its size") }

            guard try u32(local) == 0x0403_4B50 else { throw FeatureFileProblem("zip entry '\(name)' has no local header") }
            let localName = try text(local + 26 + 4, Int(try u16(local + 26)))
            guard localName == name else { throw FeatureFileProblem("zip entry '\(name)' disagrees with its local header") }
            let dataOffset = local + 30 + Int(try u16(local + 26)) + Int(try u16(local + 28))
            guard method == 0 || size == 0 else {
                throw FeatureFileProblem("zip entry '\(name)' is compressed (method \(method)); torch.save stores entries uncompressed")
            }
            guard compressed == size, dataOffset <= bytes.count, size <= bytes.count - dataOffset else {
                throw FeatureFileProblem("zip entry '\(name)' of \(size) bytes lies outside the file")
            }
            guard entries[name] == nil else { throw FeatureFileProblem("zip entry '\(name)' appears twice") }
            entries[name] = Entry(name: name, dataOffset: dataOffset, size: size, crc32: crc)
            names.append(name)
        }
    }

    /// The entry's bytes, with its CRC-32 checked.
    func data(_ name: String) throws -> UnsafeRawBufferPointer {
        guard let entry = entries[name] else { throw FeatureFileProblem("zip has no entry '\(name)'") }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[entry.dataOffset..<entry.dataOffset + entry.size])
        guard CRC32.checksum(slice) == entry.crc32 else { throw FeatureFileProblem("zip entry '\(name)' fails its CRC-32 check") }
        return slice
    }

    // MARK: bounds-checked little-endian fields

    private static func findEndOfCentralDirectory(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        guard bytes.count >= 22 else { throw FeatureFileProblem("zip is truncated (\(bytes.count) bytes)") }
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        var at = bytes.count - 22
        while at >= lowest {
            if bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self) == UInt32(littleEndian: 0x0605_4B50) { return at }
            at -= 1
        }
        throw FeatureFileProblem("zip end-of-directory record not found (truncated file?)")
    }

    private func check(_ at: Int, _ count: Int) throws {
        guard at >= 0, at <= bytes.count - count else {
            throw FeatureFileProblem("zip field at byte \(at) lies outside the file (truncated?)")
        }
    }

    private func u16(_ at: Int) throws -> UInt16 {
        try check(at, 2)
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self))
    }

    private func u32(_ at: Int) throws -> UInt32 {
        try check(at, 4)
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    private func u64(_ at: Int) throws -> UInt64 {
        try check(at, 8)
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }

    private func offset(_ value: UInt64) throws -> Int {
        guard value <= UInt64(bytes.count) else { throw FeatureFileProblem("zip offset \(value) lies outside the file") }
        return Int(value)
    }

    private func text(_ at: Int, _ count: Int) throws -> String {
        try check(at, count)
        guard let s = String(validating: UnsafeRawBufferPointer(rebasing: bytes[at..<at + count]), as: UTF8.self) else {
            throw FeatureFileProblem("zip entry name at byte \(at) is not UTF-8")
        }
        return s
    }
}
