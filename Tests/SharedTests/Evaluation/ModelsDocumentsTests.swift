import Shared
import XCTest

/// Several models documents (one per fold from `hmil-train --fold k`) merge into one.
final class ModelsDocumentsTests: XCTestCase {
    func document(folds: [Int]) -> PipelineDocument {
        var d = PipelineDocument(
            format: PipelineDocument.modelsFormat, hierarchy: EvaluationFixture.hierarchy, scheme: "kfold", seed: 1,
            slides: [SlideRecord(slideID: "a", caseID: "a", label: "N")],
            folds: [FoldRecord(fold: 0, train: ["a"], val: [], test: []), FoldRecord(fold: 1, train: [], val: [], test: ["a"])])
        d.models = folds.map { ModelRecord(fold: $0, checkpoint: "f\($0).safetensors", bestEpoch: 3, val: ["fine_auc": 0.5]) }
        return d
    }

    func testMergesModelsByFold() throws {
        let merged = try ModelsDocuments.merge([
            (document(folds: [1]), "b.json"), (document(folds: [0]), "a.json"),
            (document(folds: [0, 1]), "all.json")
        ])
        XCTAssertEqual(merged.models?.map(\.fold), [0, 1])
        XCTAssertEqual(merged.folds, document(folds: []).folds)
    }

    func testDifferentPlansOrModelsOfOneFoldAreErrors() {
        var other = document(folds: [1])
        other.slides[0].label = "UDH"
        XCTAssertThrowsError(try ModelsDocuments.merge([(document(folds: [0]), "a.json"), (other, "b.json")])) { error in
            XCTAssertEqual("\(error)", "plan differs from a.json's (slides) (b.json) — merge models trained from one dataset document")
        }
        var retrained = document(folds: [0])
        retrained.models![0].bestEpoch = 9
        XCTAssertThrowsError(try ModelsDocuments.merge([(document(folds: [0]), "a.json"), (retrained, "b.json")])) { error in
            XCTAssertTrue("\(error)".hasPrefix("fold 0 has another model in a.json (b.json)"), "\(error)")
        }
        var split = document(folds: [0])
        split.format = PipelineDocument.splitFormat
        XCTAssertThrowsError(try ModelsDocuments.merge([(split, "split.json")])) { error in
            XCTAssertTrue("\(error)".contains("run hmil-train first"), "\(error)")
        }
    }
}
