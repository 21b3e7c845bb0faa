import Foundation
import Shared
import XCTest

final class EvaluatorTests: XCTestCase {
    let hierarchy = Hierarchy(
        coarse: ["benign", "malignant"], fine: ["N", "UDH", "DCIS"],
        parent: ["N": "benign", "UDH": "benign", "DCIS": "malignant"])

    /// A fine-level part with n slides; labels cycle through the classes unless given.
    func finePart(fold: Int, n: Int = 30, labels: [Int]? = nil, seed: UInt64 = 7) -> PartPredictions {
        var g = SeededGenerator(seed: seed, stream: UInt64(fold))
        let labels = labels ?? (0..<n).map { $0 % 3 }
        var probabilities: [Double] = []
        for label in labels {
            var row = (0..<3).map { c in g.nextUniform() + (c == label ? 0.3 : 0) }
            let sum = row.reduce(0, +)
            row = row.map { $0 / sum }
            probabilities += row
        }
        return PartPredictions(
            fold: fold, part: .test, hierarchy: hierarchy, slideIDs: labels.indices.map { "f\(fold)s\($0)" },
            fineLabels: labels, fineProbabilities: probabilities, coarseProbabilities: nil)
    }

    func testBootstrapIsDeterministicAndSeeded() throws {
        let parts = [finePart(fold: 0), finePart(fold: 1)]
        let settings = BootstrapSettings(resamples: 200, seed: 5)
        let a = try DocumentIO.encode(Evaluator.evaluate(parts, bootstrap: settings, source: "predictions"))
        let b = try DocumentIO.encode(Evaluator.evaluate(parts, bootstrap: settings, source: "predictions"))
        XCTAssertEqual(a, b, "same seed, same bytes")
        // Evaluating fold 1 alone gives it the same intervals: resamples depend on the fold, not the order.
        let alone = Evaluator.evaluate([parts[1]], bootstrap: settings, source: "predictions")
        let together = Evaluator.evaluate(parts, bootstrap: settings, source: "predictions")
        XCTAssertEqual(alone.folds[0], together.folds[1])

        let other = Evaluator.evaluate(parts, bootstrap: BootstrapSettings(resamples: 200, seed: 6), source: "predictions")
        let ci = { (r: EvaluationReport) in r.folds[0].parts[.test]!.levels[.fine]!.metrics[.accuracy]!.ci95! }
        XCTAssertNotEqual(ci(together), ci(other), "another seed draws other resamples")
        let accuracy = together.folds[0].parts[.test]!.levels[.fine]!.metrics[.accuracy]!
        XCTAssertLessThanOrEqual(ci(together)[0], ci(together)[1])
        XCTAssertTrue((0...1).contains(ci(together)[0]) && (0...1).contains(ci(together)[1]))
        XCTAssertEqual(accuracy.bootstrapSkipped, 0)
    }

    func testMultiplicitiesSumToTheSampleSizeAndCoverEveryBag() {
        var g = SeededGenerator(seed: 1)
        var weights = [Double](repeating: 0, count: 50)
        var drawn = Set<Int>()
        for _ in 0..<100 {
            Bootstrap.drawMultiplicities(into: &weights, using: &g)
            XCTAssertEqual(weights.reduce(0, +), 50)
            for (i, w) in weights.enumerated() where w > 0 { drawn.insert(i) }
        }
        XCTAssertEqual(drawn.count, 50)
    }

    func testFoldWithOneClassHasNullAUCWithReasonNeverANumber() throws {
        let part = finePart(fold: 3, labels: [Int](repeating: 2, count: 12))
        let report = Evaluator.evaluate([part], bootstrap: BootstrapSettings(resamples: 50), source: "predictions")
        let auc = try XCTUnwrap(report.folds[0].parts[.test]?.levels[.fine]?.metrics[.aucMacro])
        XCTAssertNil(auc.value)
        XCTAssertEqual(auc.undefined, "only class 'DCIS' occurs in the labels")
        XCTAssertNil(auc.ci95)
        XCTAssertEqual(auc.bootstrapSkipped, 50)
        let json = String(decoding: try DocumentIO.encode(auc), as: UTF8.self)
        XCTAssertTrue(json.contains("\"value\" : null"), json)
        XCTAssertEqual(report.summary[.test]?.levels[.fine]?.metrics[.aucMacro]?.undefinedFolds, [3])
        XCTAssertNil(report.summary[.test]?.levels[.fine]?.metrics[.aucMacro]?.mean)
        let warnings = EvaluationOutput.undefinedAUCWarnings(report, names: [3: "fold_3.csv"])
        XCTAssertEqual(warnings.count, 2, "fine and coarse_from_fine")
        XCTAssertEqual(
            warnings.last,
            "AUC undefined on fold 3 (test, fine level, fold_3.csv): only class 'DCIS' occurs in the labels; reported as null")
        XCTAssertEqual(
            SummaryCSV.encode(part: .test, level: .fine, folds: report.folds).split(separator: "\n")[1].split(
                separator: ",", omittingEmptySubsequences: false)[2], "")
    }

    func testAbsentClassIsLeftOutOfMacroAUCAndNamed() throws {
        let part = finePart(fold: 0, labels: (0..<20).map { $0 % 2 })  // DCIS never occurs
        let report = Evaluator.evaluate([part], bootstrap: BootstrapSettings(resamples: 0), source: "predictions")
        let fine = try XCTUnwrap(report.folds[0].parts[.test]?.levels[.fine])
        XCTAssertEqual(fine.aucClassesLeftOut, ["DCIS"])
        let meanOfPresent = (fine.perClass[0].auc! + fine.perClass[1].auc!) / 2
        XCTAssertEqual(fine.metrics[.aucMacro]?.value ?? -1, meanOfPresent, accuracy: 1e-15)
        XCTAssertNil(fine.perClass[2].auc)
        XCTAssertNil(fine.metrics[.aucMacro]?.ci95, "bootstrap off")
    }

    func testHierarchyConsistencyCountsFinePredictionsWhoseParentIsTheCoarsePrediction() throws {
        // Fine predictions N, DCIS, UDH, DCIS; coarse head predicts benign, benign, benign, malignant.
        let fine: [Double] = [0.8, 0.1, 0.1, 0.1, 0.2, 0.7, 0.2, 0.6, 0.2, 0.0, 0.1, 0.9]
        let coarse: [Double] = [0.9, 0.1, 0.6, 0.4, 0.7, 0.3, 0.2, 0.8]
        let part = PartPredictions(
            fold: 0, part: .val, hierarchy: hierarchy, slideIDs: ["a", "b", "c", "d"], fineLabels: [0, 2, 1, 2],
            fineProbabilities: fine, coarseProbabilities: coarse)
        let report = Evaluator.evaluate(part, bootstrap: BootstrapSettings(resamples: 0))
        XCTAssertEqual(report.hierarchyConsistency[.coarse]?.value, 0.75)
        XCTAssertEqual(report.hierarchyConsistency[.coarseFromFine]?.value, 1)
        XCTAssertEqual(report.levels[.coarseFromFine]?.confusionMatrix, [[2, 0], [0, 2]])
        XCTAssertEqual(report.levels[.coarse]?.confusionMatrix, [[2, 0], [1, 1]])
    }

    func testBuilderTakesSoftmaxOfModelLogits() throws {
        var builder = PartPredictionsBuilder(fold: 2, part: .test, hierarchy: hierarchy)
        let output = BagOutput(
            instanceCount: 1, coarseLogits: [0, 1], fineLogits: [1, 2, 3], coarseAttention: [1, 1],
            fineAttention: [1, 1, 1], embedding: [], embeddingWidth: 0)
        builder.append(slideID: "s", fineLabel: 2, output: output)
        let part = builder.build()
        let fine = try XCTUnwrap(part.levels[.fine])
        let e = [1.0, 2, 3].map { exp($0 - 3) }
        XCTAssertEqual(fine.probability(bag: 0, class: 0), e[0] / e.reduce(0, +), accuracy: 1e-15)
        XCTAssertEqual(fine.predictions, [2])
        XCTAssertEqual(part.levels[.coarse]?.predictions, [1])
        XCTAssertEqual(part.levels[.coarse]?.labels, [1])
        XCTAssertEqual(part.levels[.coarseFromFine]!.probability(bag: 0, class: 1), fine.probability(bag: 0, class: 2), accuracy: 1e-15)
    }

    func testReportRoundTripsThroughThePipelineDocument() throws {
        var doc = PipelineDocument(
            format: PipelineDocument.evalFormat, hierarchy: hierarchy, scheme: "predictions", seed: nil,
            slides: [], folds: [])
        doc.evaluation = Evaluator.evaluate([finePart(fold: 0)], bootstrap: BootstrapSettings(resamples: 20), source: "predictions")
        let data = try DocumentIO.encode(doc)
        XCTAssertEqual(try DocumentIO.decode(PipelineDocument.self, from: data, source: "x"), doc)
    }

    func testTableAndPlotsNameEveryClass() throws {
        let report = Evaluator.evaluate(
            [finePart(fold: 0), finePart(fold: 1)], bootstrap: BootstrapSettings(resamples: 0), source: "predictions")
        let table = ReportTable.render(report)
        for name in ["N", "UDH", "DCIS", "benign", "malignant", "macro avg", "weighted avg", "quadratic kappa", "hierarchy consistency"] {
            XCTAssertTrue(table.contains(name), name)
        }
        XCTAssertTrue(table.contains("±"))
        let scorer = LevelScorer(finePart(fold: 0, labels: (0..<20).map { $0 % 2 }).levels[.fine]!)
        let svg = SVGPlots.roc(
            title: "ROC <fold 0>",
            series: (0..<3).map { SVGPlots.ROCSeries(name: ["N", "UDH", "DCIS"][$0], curve: scorer.rocCurve(of: $0)) })
        XCTAssertTrue(svg.contains("DCIS (not in labels: no ROC)"))
        XCTAssertTrue(svg.contains("ROC &lt;fold 0&gt;"))
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2)
        let confusion = SVGPlots.confusion(title: "c", classes: ["a", "b"], counts: [[3, 1], [0, 0]])
        XCTAssertEqual(confusion.components(separatedBy: "<rect").count - 1, 1 + 4 + 10)
        XCTAssertTrue(confusion.contains(">75%<"))
    }
}
