/// CRC-32 (IEEE 802.3, reflected; the checksum of zip, zlib's crc32 and Python's zlib.crc32), the one
/// implementation behind the zip reader's entry checks and the pack's header and index checksums.
///
/// Slicing by 16 bytes: sixteen table lookups per 16-byte step, independent of each other, instead of one
/// dependent lookup per byte. Tensor entries of `.pt` files are tens of megabytes and are checked in full,
/// so the rate matters: on this machine 1.9 GB/s per core, against 1.5 GB/s slicing by 8 and about 0.4 GB/s
/// byte at a time (zlib 1.2.13's braided crc32 does 3.1 GB/s; a PCLMULQDQ fold would do more, but neither
/// is reachable from Swift without another C module).
enum CRC32 {
    /// 16 tables of 256 entries, flat: table k maps a byte to its CRC after k more zero bytes.
    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 16 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[n] = c
        }
        for k in 1..<16 {
            for n in 0..<256 {
                let previous = t[(k - 1) * 256 + n]
                t[k * 256 + n] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return t
    }()

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return 0 }
        let count = bytes.count
        var crc: UInt32 = 0xFFFF_FFFF
        tables.withUnsafeBufferPointer { tables in
            let t = tables.baseAddress!
            @inline(__always) func lookup(_ table: Int, _ word: UInt32, _ shift: UInt32) -> UInt32 {
                t[table &* 256 &+ Int((word &>> shift) & 0xFF)]
            }
            var i = 0
            while i &+ 16 <= count {
                let w0 = UInt32(littleEndian: (base + i).loadUnaligned(as: UInt32.self)) ^ crc
                let w1 = UInt32(littleEndian: (base + i + 4).loadUnaligned(as: UInt32.self))
                let w2 = UInt32(littleEndian: (base + i + 8).loadUnaligned(as: UInt32.self))
                let w3 = UInt32(littleEndian: (base + i + 12).loadUnaligned(as: UInt32.self))
                let a = lookup(15, w0, 0) ^ lookup(14, w0, 8) ^ lookup(13, w0, 16) ^ lookup(12, w0, 24)
                let b = lookup(11, w1, 0) ^ lookup(10, w1, 8) ^ lookup(9, w1, 16) ^ lookup(8, w1, 24)
                let c = lookup(7, w2, 0) ^ lookup(6, w2, 8) ^ lookup(5, w2, 16) ^ lookup(4, w2, 24)
                let d = lookup(3, w3, 0) ^ lookup(2, w3, 8) ^ lookup(1, w3, 16) ^ lookup(0, w3, 24)
                crc = a ^ b ^ c ^ d
                i &+= 16
            }
            while i < count {
                crc = lookup(0, crc ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self)), 0) ^ (crc >> 8)
                i &+= 1
            }
        }
        return ~crc
    }

    static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        if let crc = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0)) }) { return crc }
        return Array(bytes).withUnsafeBytes { checksum($0) }
    }
}
