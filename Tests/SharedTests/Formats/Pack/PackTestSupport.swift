import Foundation
import Shared

/// Bags, temporary packs and an independent CRC for the pack tests.
enum PackTestSupport {
    static func temporaryFolder() -> String { try! FixturePaths.temporaryFolder() }

    /// A bag of ReLU'd Gaussian features with some exact zeros, plus coordinates of the asked kind.
    static func bag(
        _ slideID: String, instances: Int, dim: Int, coordinates: CoordinatesKind = .none,
        seed: UInt64 = 1
    ) -> Bag {
        var rng = SeededGenerator(seed: seed)
        let features = (0..<instances * dim).map { _ in Float(max(0, rng.nextNormal())) }
        let coords: Coordinates?
        switch coordinates {
        case .none: coords = nil
        case .int32: coords = .int32((0..<2 * instances).map { _ in Int32(truncatingIfNeeded: rng.next() % 200_000) })
        case .float32: coords = .float32((0..<2 * instances).map { _ in Float(rng.nextUniform() * 50_000) })
        }
        return Bag(slideID: slideID, instanceCount: instances, featureDim: dim, features: features, coordinates: coords)
    }

    /// Writes `bags` into a new pack and returns its path.
    @discardableResult
    static func writePack(
        _ bags: [Bag], dim: Int, options: PackWriter.Options, in folder: String,
        name: String = "bags.hbag"
    ) throws -> String {
        let path = folder + "/" + name
        let writer = try PackWriter(path: path, featureDim: dim, options: options)
        for bag in bags { try writer.append(bag) }
        try writer.finish()
        return path
    }

    /// Opens the pack and reads every bag, through random access and through the stream.
    static func readEverything(_ path: String) throws -> [Bag] {
        let reader = try PackReader(path: path)
        let bags = try reader.slideIDs.map { try reader.readBag($0) }
        let stream = try reader.bags()
        while try stream.next() != nil {}
        return bags
    }

    /// CRC-32 as zlib computes it, written independently of the library's.
    static func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
        }
        return ~crc
    }

    static func u32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func u64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        bytes[offset..<offset + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func put(_ value: UInt64, into bytes: inout [UInt8], at offset: Int, width: Int) {
        for i in 0..<width { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }
}
