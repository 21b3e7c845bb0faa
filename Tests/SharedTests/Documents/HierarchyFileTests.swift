import Shared
import XCTest

/// The hierarchy file forms of DESIGN §2.1 (Sources/Shared/Documents/HierarchyFile.swift).
final class HierarchyFileTests: XCTestCase {
    func parse(_ text: String) throws -> Hierarchy { try Hierarchy.parse(Array(text.utf8), source: "h.json") }

    func assertError(_ text: String, _ message: String, line: UInt = #line) {
        XCTAssertThrowsError(try parse(text), line: line) { error in XCTAssertEqual("\(error)", message, line: line) }
    }

    func testHmilJSON() throws {
        let text = String(decoding: try DocumentIO.encode(SplitFixtures.bracs), as: UTF8.self)
        XCTAssertEqual(try parse(text), SplitFixtures.bracs)
    }

    func testOfficialFormAsJSONWithCoarseNames() throws {
        let h = try parse(
            """
            {"label_list": ["N", "PB", "UDH", "FEA", "ADH", "DCIS", "IC"], "mapping": "0:0, 1:0, 2:0, 3:1, 4:1, 5:2, 6:2",
             "coarse": ["benign", "atypical", "malignant"], "n_class": [3, 7]}
            """)
        XCTAssertEqual(h, SplitFixtures.bracs)
        XCTAssertEqual(h.parentIndex, [0, 0, 0, 1, 1, 2, 2])
    }

    func testOfficialConfigFileIsReadWithoutExecutingIt() throws {
        let h = try Hierarchy.load(path: SplitFixtures.path("hmil_config_example.py"))
        XCTAssertEqual(h.fine, SplitFixtures.bracs.fine)
        XCTAssertEqual(h.coarse, ["0", "1", "2"])
        XCTAssertEqual(h.parentIndex, [0, 0, 0, 1, 1, 2, 2])
    }

    func testFineLabelWithoutParent() {
        assertError(
            #"{"label_list": ["a", "b", "c"], "mapping": "0:0, 2:1"}"#,
            "fine label 'b' (index 1) has no parent in the mapping (h.json) — add \"1:<coarse index>\" to the mapping")
        assertError(
            #"{"coarse": ["x"], "fine": ["a", "b"], "parent": {"a": "x"}}"#,
            "fine label 'b' has no parent (h.json) — add \"b\": \"<coarse class>\" to \"parent\"")
    }

    func testBadMappings() {
        assertError(
            #"{"label_list": ["a", "b"], "mapping": "0:0, 1-1"}"#,
            "mapping entry '1-1' is not 'fine:coarse' (h.json) — write the mapping as \"0:0, 1:0, 2:1\"")
        assertError(
            #"{"label_list": ["a", "b"], "mapping": "0:0, 1:0, 2:1"}"#,
            "mapping names fine index 2, but label_list has 2 labels (h.json)")
        assertError(#"{"label_list": ["a", "b"], "mapping": "0:0, 0:1"}"#, "mapping lists fine index 0 twice (h.json)")
        assertError(
            #"{"label_list": ["a", "b"], "mapping": "0:0, 1:2", "coarse": ["x", "y"]}"#,
            "mapping names coarse index 2, but there are 2 coarse classes (h.json)")
        assertError(
            #"{"label_list": ["a", "b"], "mapping": "0:0, 1:1", "n_class": [2, 3]}"#,
            "n_class says 3 fine classes but label_list has 2 (h.json)")
    }

    func testNeitherForm() {
        assertError("", "empty hierarchy file (h.json)")
        assertError(
            #"{"fine": ["a"]}"#,
            "hierarchy needs \"coarse\", \"fine\" and \"parent\" (or \"label_list\" and \"mapping\") (h.json)")
        assertError(
            "just text\n",
            "not a hierarchy: neither JSON nor an HMIL config with label_list and mapping (h.json) — give {\"coarse\": [...], \"fine\": [...], \"parent\": {...}} or the official config"
        )
        assertError(
            "_C.label_list = ['a', __import__('os')]\n_C.mapping = '0:0'\n",
            "cannot read config value: expected a quoted string (h.json, line 1) — write it as a Python literal")
    }
}
