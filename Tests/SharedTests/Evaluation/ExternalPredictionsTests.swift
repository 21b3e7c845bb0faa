import Foundation
import Shared
import XCTest

/// External data: every fold's model on slides outside the plan, probabilities averaged over folds.
final class ExternalPredictionsTests: XCTestCase {
    let hierarchy = EvaluationFixture.hierarchy

    func testMeanOverFoldsPerLevelAndFiles() throws {
        let folds = [
            ExternalPredictions.FoldProbabilities(fold: 0, fine: [0.5, 0.3, 0.2, 0.1, 0.1, 0.8], coarse: [0.6, 0.4, 0.3, 0.7]),
            ExternalPredictions.FoldProbabilities(fold: 2, fine: [0.1, 0.3, 0.6, 0.2, 0.2, 0.6], coarse: [0.2, 0.8, 0.1, 0.9])
        ]
        let external = ExternalPredictions(
            hierarchy: hierarchy, dataset: "new.json", slideIDs: ["a", "b"], fineLabels: [0, nil], folds: folds)
        let fine = external.meanProbabilities(.fine)
        for (value, expected) in zip(fine, [0.3, 0.3, 0.4, 0.15, 0.15, 0.7]) { XCTAssertEqual(value, expected, accuracy: 1e-12) }
        let coarse = external.meanProbabilities(.coarse)
        for (value, expected) in zip(coarse, [0.4, 0.6, 0.2, 0.8]) { XCTAssertEqual(value, expected, accuracy: 1e-12) }
        let q = external.meanProbabilities(.coarseFromFine)
        for (value, expected) in zip(q, [0.6, 0.4, 0.3, 0.7]) { XCTAssertEqual(value, expected, accuracy: 1e-12) }
        XCTAssertEqual(external.levels, [.coarse, .coarseFromFine, .fine])
        XCTAssertEqual(external.labelledCount, 1)

        let labelled = try XCTUnwrap(external.labelledPart())
        XCTAssertEqual(labelled.slideIDs, ["a"])
        XCTAssertEqual(labelled.levels[.fine]?.labels, [0])
        XCTAssertEqual(labelled.levels[.coarse]?.labels, [0])
        XCTAssertEqual(labelled.levels[.fine]?.predictions, [2], "arg-max of the mean, not of any one fold")
        let report = external.report(bootstrap: BootstrapSettings(resamples: 20))
        XCTAssertEqual(report.slides, 2)
        XCTAssertEqual(report.labelled, 1)
        XCTAssertEqual(report.folds, [0, 2])
        XCTAssertEqual(report.labelledSlides?.levels[.fine]?.metrics[.accuracy]?.value, 0)
        XCTAssertNil(report.labelledSlides?.levels[.fine]?.metrics[.aucMacro]?.value, "one labelled slide: AUC undefined")

        let folder = NSTemporaryDirectory() + "hmil-external-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let written = try external.write(to: folder)
        XCTAssertEqual(written.count, 9)
        let mean = try readSimpleCSV(folder + "/fine/predictions.csv")
        XCTAssertEqual(mean.header, ["slide_id", "Y", "Y_hat", "p_0", "p_1", "p_2"])
        XCTAssertEqual(mean.rows.map { Array($0[0...2]) }, [["a", "0.0", "2.0"], ["b", "", "2.0"]])
        let fold2 = try readSimpleCSV(folder + "/coarse/fold_2.csv")
        XCTAssertEqual(fold2.rows[1], ["b", "", "1.0", "0.1", "0.9"])
    }

    func testUnlabelledDataHasNoYColumnAndNoMetrics() throws {
        let folds = [ExternalPredictions.FoldProbabilities(fold: 0, fine: [0.2, 0.5, 0.3], coarse: nil)]
        let external = ExternalPredictions(hierarchy: hierarchy, dataset: "new.json", slideIDs: ["a"], fineLabels: [nil], folds: folds)
        XCTAssertEqual(external.levels, [.coarseFromFine, .fine], "the flat model has no coarse head")
        XCTAssertNil(external.labelledPart())
        XCTAssertNil(external.report(bootstrap: BootstrapSettings()).labelledSlides)
        let folder = NSTemporaryDirectory() + "hmil-external-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try external.write(to: folder)
        XCTAssertEqual(
            try String(contentsOfFile: folder + "/coarse_from_fine/predictions.csv", encoding: .utf8),
            "slide_id,Y_hat,p_0,p_1\na,0.0,0.7,0.3\n")
    }

    func testDatasetIsCheckedAgainstTheModels() throws {
        let fixture = try EvaluationFixture()
        defer { fixture.remove() }
        var dataset = fixture.document
        dataset.format = PipelineDocument.datasetFormat
        dataset.models = nil
        dataset.slides[1].label = ""
        dataset.slides[2].label = "FEA"
        XCTAssertThrowsError(
            try ExternalPredictions.predict(
                dataset: dataset, source: "new.json", models: fixture.document,
                modelsSource: "models.json", options: .init())
        ) { error in
            XCTAssertTrue("\(error)".contains("label 'FEA' is not a fine class") && "\(error)".contains("slide s2"), "\(error)")
        }
        dataset.slides[2].label = "DCIS"
        let external = try ExternalPredictions.predict(
            dataset: dataset, source: "new.json", models: fixture.document,
            modelsSource: "models.json", options: .init(threads: 2))
        XCTAssertEqual(external.labelledCount, dataset.slides.count - 1)
        XCTAssertEqual(external.alsoInTrainingPlan.count, dataset.slides.count, "the fixture reuses the plan's slides")
        for (f, fold) in external.folds.enumerated() {
            let bag = fixture.bag("s3")
            let expected = Softmax.probabilities(
                fixture.models[f].infer(
                    features: bag.features, instanceCount: bag.instanceCount,
                    workspace: Workspace()
                ).fineLogits)
            for j in 0..<3 { XCTAssertEqual(fold.fine[3 * 3 + j], expected[j], accuracy: 1e-6) }
        }

        var relabelled = dataset
        relabelled.hierarchy.coarse = ["malignant", "benign"]
        XCTAssertThrowsError(
            try ExternalPredictions.predict(
                dataset: relabelled, source: "new.json", models: fixture.document,
                modelsSource: "models.json", options: .init())
        ) { error in
            XCTAssertTrue("\(error)".contains("differs from the models'") && "\(error)".contains("new.json"), "\(error)")
        }
        var twice = dataset
        twice.slides.append(twice.slides[0])
        XCTAssertThrowsError(
            try ExternalPredictions.predict(
                dataset: twice, source: "new.json", models: fixture.document,
                modelsSource: "models.json", options: .init()))
    }

    func testUnlabelledSlideRecordDecodes() throws {
        let json = #"{"slide_id": "x", "case_id": "p"}"#
        let slide = try JSONDecoder().decode(SlideRecord.self, from: Data(json.utf8))
        XCTAssertEqual(slide.label, "")
        XCTAssertFalse(slide.isLabelled)
        let null = try JSONDecoder().decode(SlideRecord.self, from: Data(#"{"slide_id": "x", "case_id": "p", "label": null}"#.utf8))
        XCTAssertFalse(null.isLabelled)
    }
}
