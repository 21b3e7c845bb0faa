import Foundation
import Shared
import XCTest

/// `--instance-labels FILE.csv`: the reader and its checks against the bags' sizes, one test per error.
final class InstanceLabelsTests: XCTestCase {
    func parse(_ text: String) throws -> InstanceLabels { try InstanceLabels.parse(Array(text.utf8), source: "key.csv") }

    /// The error's one line, which must name the file (and line when given) and contain `parts`.
    func assertError(
        _ text: String, _ parts: [String], slide: String? = nil, instances: Int = 3,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(
            try {
                let labels = try parse(text)
                if let slide { _ = try labels.flags(of: slide, instanceCount: instances) }
            }(), file: file, line: line
        ) { error in
            let message = "\(error)"
            XCTAssertFalse(message.contains("\n"), message, file: file, line: line)
            XCTAssertTrue(message.contains("key.csv"), message, file: file, line: line)
            for part in parts { XCTAssertTrue(message.contains(part), "\(part) in \(message)", file: file, line: line) }
        }
    }

    func testRowsInAnyOrderWithExtraColumnsGiveFlagsInBagOrder() throws {
        let labels = try parse("image,label,instance,slide_id\r\nx,1,2,a\r\ny,0,0,a\r\nz,0,1,a\r\nw,1,0,\"b,1\"\r\n")
        XCTAssertEqual(labels.slideIDs, ["a", "b,1"])
        XCTAssertEqual(try labels.flags(of: "a", instanceCount: 3), [false, false, true])
        XCTAssertEqual(try labels.flags(of: "b,1", instanceCount: 1), [true])
        XCTAssertNil(try labels.flags(of: "c", instanceCount: 5), "a slide without rows is not scored")
        XCTAssertTrue(labels.contains("a"))
        XCTAssertFalse(labels.contains("c"))
    }

    func testMissingColumnNamesItAndTheLine() {
        assertError("slide_id,instance,is_key\na,0,1\n", ["no column 'label' in the header", "line 1", "slide_id,instance,label"])
    }

    func testLabelOtherThanZeroOrOne() {
        assertError("slide_id,instance,label\na,0,1\na,1,0.5\n", ["label '0.5' of slide a is not 0 or 1", "line 3"])
        assertError("slide_id,instance,label\na,0,true\n", ["label 'true'", "line 2"])
    }

    func testInstanceThatIsNotARowNumber() {
        assertError("slide_id,instance,label\na,-1,1\n", ["instance '-1' of slide a is not a row number", "line 2"])
        assertError("slide_id,instance,label\na,x,1\n", ["instance 'x'", "line 2"])
        assertError("slide_id,instance,label\na,99999999999,1\n", ["instance '99999999999'", "line 2"])
    }

    func testRaggedRowAndEmptySlide() {
        assertError("slide_id,instance,label\na,0\n", ["2 fields where the header has 3", "line 2"])
        assertError("slide_id,instance,label\n,0,1\n", ["empty slide_id", "line 2"])
    }

    func testEmptyFileAndHeaderOnly() {
        assertError("", ["empty file"])
        assertError("slide_id,instance,label\n", ["no instances after the header"])
    }

    func testMalformedCSVNamesTheLine() {
        assertError("slide_id,instance,label\na,0,1\na,\"1,0\n", ["quoted field never closed", "line 3"])
    }

    func testInstanceOutOfRange() {
        assertError(
            "slide_id,instance,label\na,0,1\na,1,0\na,3,0\n",
            [
                "instance 3 of slide a is out of range: the bag has 3 instances",
                "line 4"
            ], slide: "a")
    }

    func testInstanceListedTwice() {
        assertError(
            "slide_id,instance,label\na,0,1\na,1,0\na,1,1\na,2,0\n",
            [
                "instance 1 of slide a listed twice (first on line 3)",
                "line 4"
            ], slide: "a")
    }

    func testInstanceMissing() {
        assertError(
            "slide_id,instance,label\na,0,1\na,2,0\n", ["slide a has rows for 2 of its 3 instances (first missing: 1)"],
            slide: "a")
    }

    func testFileLargerThanTheLimitIsRefused() throws {
        let path = NSTemporaryDirectory() + "hmil-key-\(UUID().uuidString).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("slide_id,instance,label\na,0,1\n".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertNoThrow(try InstanceLabels.read(path: path))
        XCTAssertThrowsError(try InstanceLabels.read(path: path, limit: 10)) { error in
            XCTAssertTrue("\(error)".contains("instance labels larger than"), "\(error)")
        }
        XCTAssertThrowsError(try InstanceLabels.read(path: path + ".gone")) { error in
            XCTAssertTrue("\(error)".contains("cannot open instance labels"), "\(error)")
        }
    }
}
