import Foundation
import Shared
import TestSupport
import XCTest

/// A pack is a valid zstd stream: `zstd -dc` skips the header and index frames and prints the records.
/// The expected records are built here from the byte layout of the spec, independently of the writer.
final class PackZstdCompatibilityTests: XCTestCase {
    private func record(_ bag: Bag, dtype: StorageDType, shuffle: Bool) -> [UInt8] {
        var out: [UInt8] = []
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        put(UInt32(bag.slideID.utf8.count))
        out += Array(bag.slideID.utf8)
        put(UInt64(bag.instanceCount))
        let elements: [[UInt8]] = bag.features.map { x in
            switch dtype {
            case .f32: return withUnsafeBytes(of: x.bitPattern.littleEndian) { Array($0) }
            case .f16: return withUnsafeBytes(of: Float16(x).bitPattern.littleEndian) { Array($0) }
            case .bf16: return withUnsafeBytes(of: HalfFloat.bf16Bits(x).littleEndian) { Array($0) }
            }
        }
        if shuffle {
            for k in 0..<dtype.byteWidth { out += elements.map { $0[k] } }
        } else {
            out += elements.joined()
        }
        switch bag.coordinates {
        case .int32(let values)?: values.forEach { put($0) }
        case .float32(let values)?: values.forEach { put($0.bitPattern) }
        case nil: break
        }
        return out
    }

    func testZstdCommandLinePrintsTheConcatenatedRecords() throws {
        let zstd = "/usr/bin/zstd"
        guard FileManager.default.isExecutableFile(atPath: zstd) else { throw XCTSkip("no zstd command line") }
        let folder = PackTestSupport.temporaryFolder()
        for (dtype, coordinates, shuffle) in [
            (StorageDType.f32, CoordinatesKind.none, false), (.f16, .int32, true),
            (.bf16, .float32, false), (.f16, .none, false)
        ] {
            let bags = [
                PackTestSupport.bag("BRACS_745", instances: 300, dim: 64, coordinates: coordinates, seed: 5),
                PackTestSupport.bag("empty", instances: 0, dim: 64, coordinates: coordinates, seed: 6),
                PackTestSupport.bag("0042", instances: 3, dim: 64, coordinates: coordinates, seed: 7)
            ]
            let path = try PackTestSupport.writePack(
                bags, dim: 64,
                options: .init(dtype: dtype, coordinates: coordinates, byteShuffle: shuffle),
                in: folder)
            let run = try ToolProcess.run(URL(fileURLWithPath: zstd), ["-dc", "--no-progress", path])
            XCTAssertEqual(run.status, 0, run.stderr)
            let printed = run.stdout
            let expected = bags.flatMap { record($0, dtype: dtype, shuffle: shuffle) }
            XCTAssertEqual(printed.count, expected.count, "\(dtype) \(coordinates)")
            XCTAssertTrue(printed.elementsEqual(expected), "\(dtype) \(coordinates) shuffle \(shuffle)")
        }
    }
}
