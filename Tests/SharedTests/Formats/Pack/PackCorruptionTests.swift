import Foundation
import Shared
import XCTest

/// Foreign and damaged files: every cut and every flipped byte gives a thrown PackError, never a crash,
/// a hang or a silently different bag. Each named error also has its own small test.
final class PackCorruptionTests: XCTestCase {
    private var folder = ""
    private var path = ""
    private var original: [UInt8] = []
    private var bags: [Bag] = []

    override func setUpWithError() throws {
        folder = PackTestSupport.temporaryFolder()
        bags = [
            PackTestSupport.bag("slide_1", instances: 12, dim: 16, coordinates: .int32, seed: 1),
            PackTestSupport.bag("slide_2", instances: 0, dim: 16, coordinates: .int32, seed: 2),
            PackTestSupport.bag("slide_3", instances: 7, dim: 16, coordinates: .int32, seed: 3)
        ]
        path = try PackTestSupport.writePack(
            bags, dim: 16, options: .init(dtype: .f16, coordinates: .int32, byteShuffle: true),
            in: folder)
        original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    private func write(_ bytes: [UInt8], name: String = "damaged.hbag") -> String {
        let damaged = folder + "/" + name
        FileManager.default.createFile(atPath: damaged, contents: Data(bytes))
        return damaged
    }

    private enum Outcome: Equatable {
        case error(PackError)
        case unchanged
    }

    /// Opens the damaged bytes and reads every bag: either a PackError naming the file, or (only when
    /// `allowUnchanged`) exactly the original bags; anything else fails the test.
    @discardableResult
    private func expectPackError(
        _ bytes: [UInt8], _ label: String, allowUnchanged: Bool = false,
        file: StaticString = #filePath, line: UInt = #line
    ) -> PackError? {
        outcome(bytes, label, allowUnchanged: allowUnchanged, file: file, line: line).flatMap {
            if case .error(let error) = $0 { return error } else { return nil }
        }
    }

    private func outcome(
        _ bytes: [UInt8], _ label: String, allowUnchanged: Bool,
        file: StaticString = #filePath, line: UInt = #line
    ) -> Outcome? {
        let damaged = write(bytes)
        do {
            let read = try PackTestSupport.readEverything(damaged)
            if allowUnchanged && read == storedBags { return .unchanged }
            XCTFail("\(label): no error; bags \(read == storedBags ? "unchanged" : "changed")", file: file, line: line)
            return nil
        } catch let error as PackError {
            XCTAssertTrue("\(error)".contains(damaged), "\(label): \(error) does not name the file", file: file, line: line)
            return .error(error)
        } catch {
            XCTFail("\(label): untyped error \(error)", file: file, line: line)
            return nil
        }
    }

    /// The bags as the f16 pack stores them.
    private var storedBags: [Bag] {
        bags.map { bag in
            var stored = bag
            stored.features = bag.features.map { Float(Float16($0)) }
            return stored
        }
    }

    /// Regions of the file, from the layout: header frame, bag frames, index entries, footer.
    private var regions: [(String, Range<Int>)] {
        let reader = try! PackReader(path: path)
        let firstBag = Int(reader.entries[0].offset)
        let indexOffset = Int(reader.entries.last!.offset + reader.entries.last!.compressedSize)
        return [
            ("header frame", 0..<firstBag), ("bag frames", firstBag..<indexOffset),
            ("index frame", indexOffset..<original.count - 32), ("footer", original.count - 32..<original.count)
        ]
    }

    func testTruncationAtEveryOffsetIsAnError() {
        XCTAssertEqual(try PackTestSupport.readEverything(path), storedBags)
        for length in 0..<original.count {
            _ = expectPackError(Array(original[..<length]), "cut at \(length)")
        }
    }

    /// Header, index and footer are covered by CRCs and exact size relations: every flip is an error. In a
    /// bag frame, zstd's content checksum guarantees the decoded record, but a few bits of a frame do not
    /// change what it decodes to (padding of entropy-coded streams, for instance); such a flip must give
    /// back exactly the original bag, and every other one an error.
    func testFlippingAnyByteInAnyRegionIsAnErrorOrHarmless() {
        for (region, range) in regions {
            XCTAssertFalse(range.isEmpty, region)
            var harmless = 0
            var flips = 0
            for offset in range {
                for mask: UInt8 in [0x01, 0x80, 0xFF] {
                    var bytes = original
                    bytes[offset] ^= mask
                    flips += 1
                    let result = outcome(bytes, "\(region): byte \(offset) ^ \(mask)", allowUnchanged: region == "bag frames")
                    if result == .unchanged { harmless += 1 }
                }
            }
            XCTAssertLessThan(harmless * 50, flips, "\(region): \(harmless) of \(flips) flips changed nothing")
        }
    }

    func testBadMagic() {
        let text = Array("case_id,slide_id,label\n".utf8)
        XCTAssertEqual(expectPackError(text, "csv"), .badMagic(file: folder + "/damaged.hbag"))
        var renamed = original
        renamed[8] = UInt8(ascii: "X")  // "HMILBAG" → "XMILBAG" inside a valid skippable frame
        XCTAssertEqual(expectPackError(renamed, "inner magic"), .badMagic(file: folder + "/damaged.hbag"))
        XCTAssertEqual(
            "\(PackError.badMagic(file: "x.hbag"))", "not an hbag pack: bad magic (x.hbag) — give a .hbag file written by hmil-pack")
    }

    func testUnknownVersionInHeaderAndFooter() {
        var header = original
        header[16] = 2
        XCTAssertEqual(expectPackError(header, "header"), .unknownVersion(file: folder + "/damaged.hbag", version: 2))
        var footer = original
        footer[original.count - 12] = 7
        XCTAssertEqual(expectPackError(footer, "footer"), .unknownVersion(file: folder + "/damaged.hbag", version: 7))
    }

    func testTruncatedHeader() {
        guard case .truncated? = expectPackError(Array(original[..<30]), "header") else { return XCTFail() }
        guard case .truncated? = expectPackError(Array(original[..<2]), "magic") else { return XCTFail() }
    }

    func testMissingIndex() {
        let cut = Int(try! PackReader(path: path).entries.last!.offset) + 5
        XCTAssertEqual(expectPackError(Array(original[..<cut]), "cut in last bag"), .missingIndex(file: folder + "/damaged.hbag"))
    }

    func testCorruptIndexChecksum() {
        var bytes = original
        let entry = regions[2].1.lowerBound + 8 + 16 + 4 + 2  // inside the first slide id
        bytes[entry] ^= 0x20
        guard case .corruptIndex(_, let detail)? = expectPackError(bytes, "index") else { return XCTFail() }
        XCTAssertTrue(detail.contains("checksum"), detail)
    }

    func testChecksumMismatchNamesTheBag() {
        var bytes = original
        let reader = try! PackReader(path: path)
        let third = reader.entries[2]
        bytes[Int(third.offset + third.compressedSize) - 1] ^= 0x01  // last byte of the frame: its XXH64 checksum
        let error = expectPackError(bytes, "checksum")
        XCTAssertEqual(error, .checksumMismatch(file: folder + "/damaged.hbag", slideID: "slide_3"))
        XCTAssertTrue("\(error!)".contains("slide slide_3"))
    }

    /// Rewrites the first entry's instance count and record size to `count` and a matching size, with a valid
    /// index checksum, so only the size checks can catch it.
    private func withClaimedInstances(_ count: UInt64) -> [UInt8] {
        var bytes = original
        let payload = regions[2].1.lowerBound + 8
        let entry = payload + 16 + 4 + "slide_1".utf8.count
        let recordSize = 4 + 7 + 8 + count &* 16 &* 2 &+ count &* 8
        PackTestSupport.put(recordSize, into: &bytes, at: entry + 16, width: 8)
        PackTestSupport.put(count, into: &bytes, at: entry + 24, width: 8)
        let entriesLength = Int(PackTestSupport.u64(bytes, at: bytes.count - 24))
        let crc = PackTestSupport.crc32(bytes[payload..<payload + 16 + entriesLength])
        PackTestSupport.put(UInt64(crc), into: &bytes, at: bytes.count - 16, width: 4)
        return bytes
    }

    func testAbsurdSizesAreCaughtBeforeAllocation() {
        for count: UInt64 in [1 << 40, 1 << 61, UInt64.max / 3, 1_000_000] {
            guard case .absurdSize(_, "slide_1"?, _)? = expectPackError(withClaimedInstances(count), "N = \(count)") else {
                return XCTFail("N = \(count)")
            }
        }
        // The same rewrite with the true count is accepted: the test changes only what it means to.
        XCTAssertNoThrow(try PackReader(path: write(withClaimedInstances(12), name: "same.hbag")))
    }

    func testHeaderWithValidChecksumButMissingKey() {
        var bytes = original
        let jsonLength = Int(PackTestSupport.u32(bytes, at: 20))
        let json = String(decoding: bytes[28..<28 + jsonLength], as: UTF8.self)
        let renamed = Array(json.replacingOccurrences(of: "\"dtype\"", with: "\"dtyp_\"").utf8)
        XCTAssertEqual(renamed.count, jsonLength)
        bytes.replaceSubrange(28..<28 + jsonLength, with: renamed)
        PackTestSupport.put(UInt64(PackTestSupport.crc32(renamed)), into: &bytes, at: 24, width: 4)
        guard case .corruptHeader(_, let detail)? = expectPackError(bytes, "missing dtype") else { return XCTFail() }
        XCTAssertTrue(detail.contains("JSON"), detail)
    }

    func testUnknownSlideAndMissingFile() throws {
        XCTAssertThrowsError(try PackReader(path: path).readBag("slide_9")) { error in
            XCTAssertEqual(error as? PackError, .unknownSlide(file: path, slideID: "slide_9"))
        }
        XCTAssertThrowsError(try PackReader(path: folder + "/none.hbag")) { error in
            guard case .io? = error as? PackError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try PackReader(path: folder)) { error in
            guard case .io? = error as? PackError else { return XCTFail("\(error)") }
        }
    }

    func testStreamReportsACorruptBagOnceThenEnds() throws {
        var bytes = original
        let reader = try PackReader(path: path)
        let second = reader.entries[2]
        bytes[Int(second.offset + second.compressedSize) - 2] ^= 0x40
        let stream = try PackReader(path: write(bytes)).bags()
        XCTAssertEqual(try stream.next()?.slideID, "slide_1")
        XCTAssertEqual(try stream.next()?.slideID, "slide_2")
        XCTAssertThrowsError(try stream.next())
        XCTAssertNil(try stream.next())
    }
}
