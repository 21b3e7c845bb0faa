import Shared
import XCTest

final class HierarchyTests: XCTestCase {
    let bracs = Hierarchy(
        coarse: ["benign", "atypical", "malignant"],
        fine: ["N", "PB", "UDH", "FEA", "ADH", "DCIS", "IC"],
        parent: [
            "N": "benign", "PB": "benign", "UDH": "benign", "FEA": "atypical",
            "ADH": "atypical", "DCIS": "malignant", "IC": "malignant"
        ])

    func testParentIndexFollowsOrder() throws {
        try bracs.validate(source: "h.json")
        XCTAssertEqual(bracs.parentIndex, [0, 0, 0, 1, 1, 2, 2])
    }

    func testFineLabelWithoutParentIsNamed() {
        var h = bracs
        h.parent["IC"] = nil
        XCTAssertThrowsError(try h.validate(source: "h.json")) { error in
            XCTAssertEqual("\(error)", "fine label 'IC' has no parent (h.json) — add \"IC\": \"<coarse class>\" to \"parent\"")
        }
    }

    func testParentMustBeCoarse() {
        var h = bracs
        h.parent["IC"] = "cancer"
        XCTAssertThrowsError(try h.validate(source: "h.json"))
    }

    func testDocumentRoundTripUsesContractKeys() throws {
        let doc = PipelineDocument(
            format: PipelineDocument.splitFormat, hierarchy: bracs, scheme: "kfold", seed: 1,
            slides: [SlideRecord(slideID: "BRACS_745", caseID: "p17", label: "PB")],
            folds: [FoldRecord(fold: 0, train: ["BRACS_745"], val: [], test: [])])
        let data = try DocumentIO.encode(doc)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("\"slide_id\" : \"BRACS_745\""))
        XCTAssertEqual(try DocumentIO.decode(PipelineDocument.self, from: data, source: "x"), doc)
    }
}
