import Foundation
import Shared
import XCTest

final class PackRoundTripTests: XCTestCase {
    /// What a bag must read back as when stored in `dtype`: f32 bit-exact, f16/bf16 rounded to nearest even.
    private func stored(_ bag: Bag, as dtype: StorageDType) -> [Float] {
        switch dtype {
        case .f32: return bag.features
        case .f16: return bag.features.map { Float(Float16($0)) }
        case .bf16: return bag.features.map { HalfFloat.float(bf16Bits: HalfFloat.bf16Bits($0)) }
        }
    }

    private func assertBitEqual(_ a: [Float], _ b: [Float], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        XCTAssertTrue(zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }, message, file: file, line: line)
    }

    func testEveryDTypeCoordinatesAndShuffleRoundTrip() throws {
        let folder = PackTestSupport.temporaryFolder()
        for dtype in StorageDType.allCases {
            for coordinates in CoordinatesKind.allCases {
                for shuffle in [false, true] {
                    let label = "\(dtype) \(coordinates) shuffle \(shuffle)"
                    let bags = [
                        PackTestSupport.bag("slide_a", instances: 37, dim: 24, coordinates: coordinates, seed: 1),
                        PackTestSupport.bag("slide-é-002", instances: 1, dim: 24, coordinates: coordinates, seed: 2),
                        PackTestSupport.bag("s", instances: 0, dim: 24, coordinates: coordinates, seed: 3),
                        PackTestSupport.bag("slide_d", instances: 5, dim: 24, coordinates: coordinates, seed: 4)
                    ]
                    let options = PackWriter.Options(dtype: dtype, coordinates: coordinates, byteShuffle: shuffle, tool: "tests")
                    let path = try PackTestSupport.writePack(bags, dim: 24, options: options, in: folder)
                    let reader = try PackReader(path: path)
                    XCTAssertEqual(
                        reader.header,
                        PackHeader(
                            featureDim: 24, dtype: dtype, coordinates: coordinates,
                            byteShuffle: shuffle, tool: "tests"), label)
                    XCTAssertEqual(reader.slideIDs, bags.map(\.slideID), label)
                    for bag in bags.shuffled() {
                        XCTAssertEqual(reader.instanceCount(of: bag.slideID), bag.instanceCount, label)
                        let back = try reader.readBag(bag.slideID)
                        XCTAssertEqual(back.slideID, bag.slideID, label)
                        XCTAssertEqual(back.instanceCount, bag.instanceCount, label)
                        XCTAssertEqual(back.featureDim, 24, label)
                        XCTAssertEqual(back.coordinates, bag.coordinates, label)
                        assertBitEqual(back.features, stored(bag, as: dtype), label)
                    }
                }
            }
        }
    }

    func testHalfDTypesAreExactOnRepresentableValuesAndRoundToNearestEven() throws {
        let folder = PackTestSupport.temporaryFolder()
        // Representable in both f16 and bf16, then ties that must go to the even neighbour.
        let exact: [Float] = [0, -0.0, 1, 0.5, -2, 0.25, 1.5, 96, -0.125, .infinity, -.infinity, 0x1p-14, 3, 0.75, 48, -1.25]
        let f16Ties: [Float] = [1 + 0x1p-11, 1 + 3 * 0x1p-11, 0x1p-25, 0x1.8p-24, 65520, 2049, 2051, -(1 + 0x1p-11)]
        let f16Want: [Float] = [1, 1 + 0x1p-9, 0, 0x1p-23, .infinity, 2048, 2052, -1]
        let bf16Ties: [Float] = [1 + 0x1p-8, 1 + 3 * 0x1p-8, 257, 259, -(1 + 0x1p-8), 0x1.0080p-126, 0x1.0180p-126, 1 + 0x1.8p-8]
        let bf16Want: [Float] = [1, 1 + 0x1p-6, 256, 260, -1, 0x1p-126, 0x1.02p-126, 1 + 0x1p-7]
        for (dtype, ties, want) in [(StorageDType.f16, f16Ties, f16Want), (.bf16, bf16Ties, bf16Want)] {
            for shuffle in [false, true] {
                let features = exact + ties + [.nan, -.nan]
                let bag = Bag(slideID: "ties", instanceCount: features.count / 2, featureDim: 2, features: features)
                let path = try PackTestSupport.writePack(
                    [bag], dim: 2, options: .init(dtype: dtype, byteShuffle: shuffle),
                    in: folder)
                let back = try PackReader(path: path).readBag("ties").features
                assertBitEqual(Array(back[0..<exact.count]), exact, "\(dtype) exact")
                assertBitEqual(Array(back[exact.count..<exact.count + ties.count]), want, "\(dtype) ties")
                XCTAssertTrue(back.suffix(2).allSatisfy(\.isNaN), "\(dtype) NaN")
            }
        }
    }

    func testF32IsBitExactIncludingSpecialValues() throws {
        let features: [Float] = [
            .nan, Float(bitPattern: 0x7FA0_0001), .infinity, -.infinity, -0.0,
            .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0x1.234566p-130
        ]
        let bag = Bag(slideID: "special", instanceCount: 4, featureDim: 2, features: features)
        for shuffle in [false, true] {
            let path = try PackTestSupport.writePack(
                [bag], dim: 2, options: .init(dtype: .f32, byteShuffle: shuffle),
                in: PackTestSupport.temporaryFolder())
            assertBitEqual(try PackReader(path: path).readBag("special").features, features, "shuffle \(shuffle)")
        }
    }

    func testLargeBagOf100000Instances() throws {
        let bag = PackTestSupport.bag("big", instances: 100_000, dim: 8, coordinates: .int32, seed: 9)
        let small = PackTestSupport.bag("small", instances: 1, dim: 8, coordinates: .int32, seed: 10)
        for dtype in StorageDType.allCases {
            let path = try PackTestSupport.writePack(
                [small, bag], dim: 8,
                options: .init(dtype: dtype, coordinates: .int32, byteShuffle: true),
                in: PackTestSupport.temporaryFolder())
            let reader = try PackReader(path: path)
            XCTAssertEqual(reader.instanceCount(of: "big"), 100_000)
            let back = try reader.readBag("big")
            XCTAssertEqual(back.coordinates, bag.coordinates)
            assertBitEqual(back.features, stored(bag, as: dtype), "\(dtype)")
            assertBitEqual(try reader.readBag("small").features, stored(small, as: dtype), "\(dtype) after big")
        }
    }

    func testEmptyPackHasNoBags() throws {
        let path = try PackTestSupport.writePack([], dim: 3, options: .init(), in: PackTestSupport.temporaryFolder())
        let reader = try PackReader(path: path)
        XCTAssertEqual(reader.count, 0)
        XCTAssertNil(try reader.bags().next())
    }

    func testParallelEncodeGivesTheSameBytesAsSequentialAppend() throws {
        let folder = PackTestSupport.temporaryFolder()
        let bags = (0..<12).map { PackTestSupport.bag("slide_\($0)", instances: 50 + 13 * $0, dim: 32, seed: UInt64($0)) }
        let options = PackWriter.Options(dtype: .f16, byteShuffle: true)
        let sequential = try PackTestSupport.writePack(bags, dim: 32, options: options, in: folder, name: "a.hbag")

        let writer = try PackWriter(path: folder + "/b.hbag", featureDim: 32, options: options)
        var encoded = [EncodedBag?](repeating: nil, count: bags.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: bags.count) { i in
            let frame = try! writer.encode(bags[i])
            lock.withLock { encoded[i] = frame }
        }
        for frame in encoded { try writer.append(frame!) }
        try writer.finish()
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: sequential)),
            try Data(contentsOf: URL(fileURLWithPath: folder + "/b.hbag")))
    }

    func testConcurrentReadsOfOneReader() throws {
        let bags = (0..<16).map { PackTestSupport.bag("slide_\($0)", instances: 40 + $0, dim: 16, seed: UInt64($0)) }
        let path = try PackTestSupport.writePack(bags, dim: 16, options: .init(dtype: .bf16), in: PackTestSupport.temporaryFolder())
        let reader = try PackReader(path: path)
        let failures = ManagedAtomicCounter()
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            let bag = bags[i % bags.count]
            let back = try? reader.readBag(bag.slideID)
            if back?.features != self.stored(bag, as: .bf16) { failures.increment() }
        }
        XCTAssertEqual(failures.value, 0)
    }

    func testStreamFollowsTheGivenOrderAndStopsWhenDropped() throws {
        let bags = (0..<10).map { PackTestSupport.bag("slide_\($0)", instances: 20, dim: 8, seed: UInt64($0)) }
        let path = try PackTestSupport.writePack(bags, dim: 8, options: .init(), in: PackTestSupport.temporaryFolder())
        let reader = try PackReader(path: path)
        let order = bags.map(\.slideID).reversed() + ["slide_3"]
        let stream = try reader.bags(in: Array(order), readAhead: 3)
        var seen: [Bag] = []
        while let bag = try stream.next() { seen.append(bag) }
        XCTAssertEqual(seen.map(\.slideID), Array(order))
        XCTAssertEqual(seen.first, bags.last)
        XCTAssertNil(try stream.next())

        // A stream dropped while its thread waits for room must not hang or leak a blocked thread.
        for _ in 0..<20 {
            let partial = try reader.bags(readAhead: 1)
            _ = try partial.next()
        }
        XCTAssertThrowsError(try reader.bags(in: ["slide_0", "nope"])) { error in
            XCTAssertEqual(error as? PackError, .unknownSlide(file: path, slideID: "nope"))
        }
    }
}

/// A counter several threads may bump.
final class ManagedAtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
