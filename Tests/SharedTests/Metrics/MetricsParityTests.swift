import Foundation
import Shared
import XCTest

/// Holds every metric to the values scikit-learn computed on the same inputs.
/// Golden file: Fixtures/metrics/sklearn_cases.json, written by Tests/Parity/metrics_reference.py.
final class MetricsParityTests: XCTestCase {
    struct Golden: Decodable {
        var sklearn: String
        var cases: [Case]
        var percentiles: [PercentileCase]
        var python_repr: [PythonRepr]
    }

    struct Case: Decodable {
        var name: String
        var classes: Int
        var labels: [Int]
        var predictions: [Int]
        var scores: [[Double]]
        var weights: [Int]?
        var accuracy: Double
        var balanced_accuracy: Double
        var precision_macro, recall_macro, f1_macro: Double
        var precision_weighted, recall_weighted, f1_weighted: Double
        var precision, recall, f1: [Double]
        var confusion_matrix: [[Double]]
        var kappa_quadratic: Double?
        var specificity: [Double?]
        var class_auc: [Double?]
        var auc_macro: Double?
        var auc_left_out: [Int]
        var roc: ROC?
    }

    struct ROC: Decodable {
        var `class`: Int
        var fpr: [Double]
        var tpr: [Double]
    }
    struct PercentileCase: Decodable {
        var values: [Double]
        var low: Double
        var high: Double
    }
    struct PythonRepr: Decodable {
        var hex: String
        var repr: String
    }

    static let golden: Golden = {
        let url = FixturePaths.url("metrics/sklearn_cases.json")
        return try! JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }()

    let tolerance = 1e-12

    func predictions(_ c: Case) -> LevelPredictions {
        LevelPredictions(
            classes: (0..<c.classes).map { "c\($0)" }, slideIDs: c.labels.indices.map { "s\($0)" },
            labels: c.labels, predictions: c.predictions, probabilities: c.scores.flatMap { $0 })
    }

    func assertClose(_ a: Double?, _ b: Double?, _ what: String, _ c: Case, file: StaticString = #filePath, line: UInt = #line) {
        switch (a, b) {
        case (nil, nil): break
        case (let a?, let b?): XCTAssertEqual(a, b, accuracy: tolerance, "\(c.name): \(what)", file: file, line: line)
        default:
            XCTFail("\(c.name): \(what) is \(String(describing: a)), scikit-learn says \(String(describing: b))", file: file, line: line)
        }
    }

    func testEveryCaseMatchesScikitLearn() {
        XCTAssertGreaterThanOrEqual(Self.golden.cases.count, 10)
        for c in Self.golden.cases {
            let scores = LevelScorer(predictions(c)).scores(weights: c.weights?.map(Double.init))
            let s = scores.classification
            assertClose(scores.values[.accuracy], c.accuracy, "accuracy", c)
            assertClose(scores.values[.balancedAccuracy], c.balanced_accuracy, "balanced accuracy", c)
            assertClose(scores.values[.precisionMacro], c.precision_macro, "macro precision", c)
            assertClose(scores.values[.recallMacro], c.recall_macro, "macro recall", c)
            assertClose(scores.values[.f1Macro], c.f1_macro, "macro F1", c)
            assertClose(scores.values[.precisionWeighted], c.precision_weighted, "weighted precision", c)
            assertClose(scores.values[.recallWeighted], c.recall_weighted, "weighted recall", c)
            assertClose(scores.values[.f1Weighted], c.f1_weighted, "weighted F1", c)
            assertClose(scores.values[.kappaQuadratic], c.kappa_quadratic, "quadratic kappa", c)
            assertClose(scores.values[.aucMacro], c.auc_macro, "macro AUC", c)
            XCTAssertEqual(scores.aucClassesLeftOut, c.auc_left_out, c.name)
            for k in 0..<c.classes {
                assertClose(s.precision[k], c.precision[k], "precision[\(k)]", c)
                assertClose(s.recall[k], c.recall[k], "recall[\(k)]", c)
                assertClose(s.f1[k], c.f1[k], "f1[\(k)]", c)
                assertClose(s.specificity[k], c.specificity[k], "specificity[\(k)]", c)
                assertClose(scores.classAUC[k], c.class_auc[k], "AUC[\(k)]", c)
            }
            let matrix = ConfusionMatrix(
                labels: c.labels, predictions: c.predictions, classCount: c.classes,
                weights: c.weights?.map(Double.init))
            XCTAssertEqual((0..<c.classes).map { i in (0..<c.classes).map { matrix[i, $0] } }, c.confusion_matrix, c.name)
            if scores.values[.aucMacro] == nil { XCTAssertNotNil(scores.undefined[.aucMacro], c.name) }
        }
    }

    func testROCCurvePointsMatchRocCurveWithTiesGrouped() throws {
        let withCurves = Self.golden.cases.filter { $0.roc != nil }
        XCTAssertGreaterThanOrEqual(withCurves.count, 4)
        for c in withCurves {
            let roc = c.roc!
            let ranked = RankedScores(scores: c.scores.map { $0[roc.class] })
            let curve = try XCTUnwrap(ranked.curve(positive: c.labels.map { $0 == roc.class }, weights: c.weights?.map(Double.init)))
            XCTAssertEqual(curve.falsePositiveRate.count, roc.fpr.count, c.name)
            for (a, b) in zip(curve.falsePositiveRate, roc.fpr) { XCTAssertEqual(a, b, accuracy: tolerance, c.name) }
            for (a, b) in zip(curve.truePositiveRate, roc.tpr) { XCTAssertEqual(a, b, accuracy: tolerance, c.name) }
            XCTAssertEqual(curve.area, c.class_auc[roc.class]!, accuracy: tolerance, c.name)
        }
    }

    func testPercentileMatchesNumpy() {
        for p in Self.golden.percentiles {
            let interval = Bootstrap.interval(p.values, confidence: 0.95)!
            XCTAssertEqual(interval[0], p.low, accuracy: tolerance)
            XCTAssertEqual(interval[1], p.high, accuracy: tolerance)
        }
    }

    /// fold_k.csv numbers are written as Python's repr (pandas' to_csv), which Swift's description matches.
    func testFloatTextMatchesPythonRepr() throws {
        for r in Self.golden.python_repr {
            let value = try XCTUnwrap(Double(r.hex), r.hex)
            XCTAssertEqual(PredictionCSV.pythonText(value), r.repr, r.hex)
        }
    }
}
