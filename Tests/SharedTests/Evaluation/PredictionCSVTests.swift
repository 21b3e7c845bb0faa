import Foundation
import Shared
import XCTest

/// CLAM's fold_k.csv: reading any tool's file, writing CLAM's bytes, and one test per kind of bad input.
final class PredictionCSVTests: XCTestCase {
    let classes = ["a", "b", "c"]

    func parse(_ text: String) throws -> LevelPredictions {
        try PredictionCSV.parse(Array(text.utf8), source: "fold_0.csv", classes: classes, level: "fine")
    }

    func assertError(_ text: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(text), file: file, line: line) { error in
            XCTAssertEqual("\(error)", expected, file: file, line: line)
        }
    }

    let good = """
        slide_id,Y,Y_hat,p_0,p_1,p_2
        s1,0.0,0.0,0.7,0.2,0.1
        s2,2.0,1.0,0.1,0.5,0.4
        """

    func testReadsCLAMLayout() throws {
        let p = try parse(good)
        XCTAssertEqual(p.slideIDs, ["s1", "s2"])
        XCTAssertEqual(p.labels, [0, 2])
        XCTAssertEqual(p.predictions, [0, 1])
        XCTAssertEqual(p.probabilities, [0.7, 0.2, 0.1, 0.1, 0.5, 0.4])
    }

    func testWritesWhatCLAMWritesAndReadsItBack() throws {
        let p = LevelPredictions(
            classes: classes, slideIDs: ["007", "a,\"b\""], labels: [1, 2], predictions: [1, 0],
            probabilities: [0.1, 0.8999999761581421, 0, 0.5, 0.25, 0.25])
        let text = PredictionCSV.encode(p)
        XCTAssertEqual(
            text,
            """
            slide_id,Y,Y_hat,p_0,p_1,p_2
            007,1.0,1.0,0.1,0.8999999761581421,0.0
            "a,""b\""",2.0,0.0,0.5,0.25,0.25

            """)
        XCTAssertEqual(try parse(text), p)
    }

    func testAcceptsIndexColumnOtherOrderIntegersCRLFAndBOM() throws {
        let text = "\u{FEFF},p_2,p_1,p_0,Y_hat,Y,slide_id,extra\r\n0,0.1,0.2,0.7,0,0,s1,x\r\n1,0.4,0.5,0.1,1,2,s2,y\r\n"
        let p = try parse(text)
        XCTAssertEqual(p.labels, [0, 2])
        XCTAssertEqual(p.probabilities, [0.7, 0.2, 0.1, 0.1, 0.5, 0.4])
    }

    func testMissingColumnsAreNamed() {
        assertError(
            "slide_id,Y,p_0,p_2\ns1,0,0.5,0.5\n",
            "missing columns Y_hat, p_1 (fold_0.csv, line 1) — CLAM's fold_k.csv layout is slide_id,Y,Y_hat,p_0..p_2 for the 3 fine classes"
        )
    }

    func testMoreProbabilityColumnsThanClasses() {
        assertError(
            "slide_id,Y,Y_hat,p_0,p_1,p_2,p_3\ns1,0,0,0.25,0.25,0.25,0.25\n",
            "column 'p_3' but the fine level has 3 classes (p_0..p_2) (fold_0.csv, line 1) — check --level and the hierarchy")
    }

    func testProbabilitiesMustSumToOne() {
        assertError(
            "slide_id,Y,Y_hat,p_0,p_1,p_2\ns1,0,0,0.5,0.3,0.1\n",
            "probabilities p_0..p_2 sum to 0.9, not 1 (tolerance 0.001) (fold_0.csv, line 2, slide s1) — write softmax probabilities, one column per class"
        )
        XCTAssertNoThrow(try parse("slide_id,Y,Y_hat,p_0,p_1,p_2\ns1,0,0,0.5,0.3,0.2009\n"), "within tolerance")
    }

    func testProbabilityMustBeANumberInRange() {
        assertError(
            "slide_id,Y,Y_hat,p_0,p_1,p_2\ns1,0,0,nan,0.5,0.5\n",
            "p_0 is 'nan', not a probability in [0, 1] (fold_0.csv, line 2, slide s1)")
        assertError(
            "slide_id,Y,Y_hat,p_0,p_1,p_2\ns1,0,0,-0.5,1.0,0.5\n",
            "p_0 is '-0.5', not a probability in [0, 1] (fold_0.csv, line 2, slide s1)")
    }

    func testLabelsOutOfRange() {
        assertError(
            "slide_id,Y,Y_hat,p_0,p_1,p_2\ns1,3.0,0,0.5,0.3,0.2\n",
            "Y = 3.0 is out of range: the fine level has 3 classes (0..2) (fold_0.csv, line 2, slide s1) — check --level and the hierarchy")
        assertError(
            "slide_id,Y,Y_hat,p_0,p_1,p_2\ns1,0,-1,0.5,0.3,0.2\n",
            "Y_hat = -1 is out of range: the fine level has 3 classes (0..2) (fold_0.csv, line 2, slide s1) — check --level and the hierarchy"
        )
        assertError(
            "slide_id,Y,Y_hat,p_0,p_1,p_2\ns1,1.5,0,0.5,0.3,0.2\n",
            "Y is '1.5', not a class index (fold_0.csv, line 2, slide s1)")
    }

    func testStructuralErrors() {
        assertError("", "prediction file is empty (fold_0.csv)")
        assertError("slide_id,Y,Y_hat,p_0,p_1,p_2\n", "prediction file has a header but no rows (fold_0.csv)")
        assertError("slide_id,Y,Y_hat,p_0,p_1,p_2\ns1,0,0,1,0\n", "row has 5 fields, the header has 6 (fold_0.csv, line 2)")
        assertError(
            "slide_id,Y,Y_hat,p_0,p_1,p_2\ns1,0,0,1,0,0\ns1,0,0,1,0,0\n",
            "slide listed twice (lines 2 and 3) (fold_0.csv, slide s1) — one row per slide")
        assertError(
            "slide_id,Y,Y_hat,p_0,p_1,p_2\n\"s1,0,0,1,0,0\n", "quoted field never closed (fold_0.csv, line 2) — add the closing quote")
        assertError("slide_id,Y,Y,Y_hat,p_0,p_1,p_2\n", "column 'Y' appears twice (fold_0.csv, line 1)")
        assertError(
            "slide_id,Y,Y_hat,p_0,p_1,p_2\n\"s1\"x,0,0,1,0,0\n",
            "text after a closing quote (fold_0.csv, line 2) — quote the whole field and double quotes inside it (\"\")")
    }

    func testFoldNumberComesFromCLAMFileName() {
        XCTAssertEqual(PredictionFiles.foldNumber(of: "/r/fold_12.csv"), 12)
        XCTAssertNil(PredictionFiles.foldNumber(of: "fold_.csv"))
        XCTAssertNil(PredictionFiles.foldNumber(of: "fold_1b.csv"))
        XCTAssertNil(PredictionFiles.foldNumber(of: "preds.csv"))
    }
}
