import Shared
import XCTest

final class LabelsCSVTests: XCTestCase {
    func parse(_ text: String, labelColumn: String = "label") throws -> [LabeledSlide] {
        try LabelsCSV.parse(Array(text.utf8), source: "l.csv", labelColumn: labelColumn)
    }

    func assertError(_ text: String, _ message: String, labelColumn: String = "label", line: UInt = #line) {
        XCTAssertThrowsError(try parse(text, labelColumn: labelColumn), line: line) { error in
            XCTAssertEqual("\(error)", message, line: line)
        }
    }

    func testReadsCLAMLayoutKeepingIdsAsStrings() throws {
        let slides = try parse("case_id,slide_id,label,site\np1,007,N,x\np1,008,PB,y\n")
        XCTAssertEqual(
            slides,
            [
                LabeledSlide(slideID: "007", caseID: "p1", label: "N", line: 2),
                LabeledSlide(slideID: "008", caseID: "p1", label: "PB", line: 3)
            ])
    }

    func testQuotedFieldsCRLFAndBOM() throws {
        let text = "\u{FEFF}slide_id,\"case_id\",label\r\n\"a,1\",\"p \"\"1\"\"\",N\r\n\r\nb,p2,\"multi\nline\"\r\nc,p3,IC"
        let slides = try parse(text)
        XCTAssertEqual(slides.map(\.slideID), ["a,1", "b", "c"])
        XCTAssertEqual(slides.map(\.caseID), ["p \"1\"", "p2", "p3"])
        XCTAssertEqual(slides.map(\.label), ["N", "multi\nline", "IC"])
        XCTAssertEqual(slides.map(\.line), [2, 4, 6], "lines count physical lines, also inside quoted fields")
    }

    func testLabelColumnOption() throws {
        XCTAssertEqual(try parse("case_id,slide_id,label,grade\np,s,N,3\n", labelColumn: "grade").map(\.label), ["3"])
    }

    func testEmptyFile() {
        assertError("", "empty file (l.csv) — expected a header line with case_id,slide_id,label")
        assertError("\n\n", "empty file (l.csv) — expected a header line with case_id,slide_id,label")
    }

    func testHeaderOnly() {
        assertError("case_id,slide_id,label\n", "no slides after the header (l.csv) — add one line per slide")
    }

    func testMissingColumn() {
        assertError(
            "case_id,slide,label\np,s,N\n",
            "no column 'slide_id' in the header (l.csv, line 1) — columns are 'case_id', 'slide', 'label'")
        assertError(
            "case_id,slide_id,label\np,s,N\n",
            "no column 'grade' in the header (l.csv, line 1) — columns are 'case_id', 'slide_id', 'label'; --label-col picks the label column",
            labelColumn: "grade")
    }

    func testDuplicateSlide() {
        assertError(
            "case_id,slide_id,label\np,s1,N\np,s2,N\nq,s1,PB\n",
            "duplicate slide_id 's1' (first on line 2) (l.csv, line 4) — list each slide once")
    }

    func testShortRowAndEmptyFields() {
        assertError("case_id,slide_id,label\np,s1\n", "2 fields where the header has 3 (l.csv, line 2)")
        assertError("case_id,slide_id,label\np,,N\n", "empty slide_id (l.csv, line 2)")
        assertError(
            "case_id,slide_id,label\n,s,N\n",
            "empty case_id for slide 's' (l.csv, line 2) — give every slide its patient; use the slide id when each patient has one slide")
        assertError("case_id,slide_id,label\np,s,\n", "empty label for slide 's' (l.csv, line 2)")
    }

    func testMalformedQuotes() {
        assertError(
            "case_id,slide_id,label\np,s\"x\",N\n",
            "stray quote inside a field (l.csv, line 2) — quote the whole field and double quotes inside it (\"\")")
        assertError(
            "case_id,slide_id,label\np,\"s\"x,N\n",
            "text after a closing quote (l.csv, line 2) — quote the whole field and double quotes inside it (\"\")")
        assertError("case_id,slide_id,label\np,\"s,N\nq,t,N\n", "quoted field never closed (l.csv, line 2) — add the closing quote")
    }

    func testInvalidUTF8() {
        XCTAssertThrowsError(try LabelsCSV.parse(Array("case_id,slide_id,label\np,".utf8) + [0xFF] + Array(",N\n".utf8), source: "l.csv")) {
            error in
            XCTAssertEqual("\(error)", "field is not valid UTF-8 (l.csv, line 2) — save the file as UTF-8")
        }
    }

    func testUnreadableFileIsNamed() {
        XCTAssertThrowsError(try LabelsCSV.read(path: "/nonexistent/labels.csv")) { error in
            XCTAssertEqual("\(error)", "cannot open labels CSV (/nonexistent/labels.csv) — check the path")
        }
    }

    func testTrailingDelimiterGivesAnEmptyLastField() throws {
        XCTAssertEqual(try RFC4180.records(Array("a,b,\r\nc,d,".utf8), source: "x").map(\.fields), [["a", "b", ""], ["c", "d", ""]])
    }

    /// Mutated copies of a real labels file either parse or fail with a ToolError; never a crash.
    func testMutatedFilesNeverCrash() throws {
        let original = try FixturePaths.bytes("Splitting/clam/dataset_csv/tumor_subtyping_dummy_clean.csv")
        var mutator = ByteMutator(seed: 3)
        for _ in 0..<500 {
            do { _ = try LabelsCSV.parse(mutator.mutate(original), source: "m.csv") } catch is ToolError {}
        }
    }
}
