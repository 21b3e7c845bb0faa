import Foundation
import Shared
import TestSupport
import XCTest

/// Runs the built `hmil-eval` in --predictions mode on small CLAM-style files and checks stdout, stderr,
/// exit code and the files in --out.
final class EvalToolTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("hmil-eval-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try """
        {"coarse": ["benign", "malignant"], "fine": ["N", "UDH", "DCIS"],
         "parent": {"N": "benign", "UDH": "benign", "DCIS": "malignant"}}
        """.write(to: work.appendingPathComponent("h.json"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    func run(_ arguments: [String]) throws -> ToolRun {
        try BuiltTool.run("hmil-eval", arguments, in: work)
    }

    /// A fold file: slide i has fine label labels[i]; the model puts 0.6 on the right class when right[i].
    func writeFold(_ name: String, labels: [Int], right: [Bool]) throws {
        var text = "slide_id,Y,Y_hat,p_0,p_1,p_2\n"
        for (i, (y, ok)) in zip(labels, right).enumerated() {
            let predicted = ok ? y : (y + 1) % 3
            let p = (0..<3).map { $0 == predicted ? 0.6 : 0.2 }
            text += "\(name)_s\(i),\(Double(y)),\(Double(predicted)),\(p.map { "\($0)" }.joined(separator: ","))\n"
        }
        try text.write(to: work.appendingPathComponent(name + ".csv"), atomically: true, encoding: .utf8)
    }

    func testScoresPredictionFilesAndWritesResults() throws {
        try writeFold("fold_0", labels: [0, 1, 2, 0, 1, 2, 0, 2], right: [true, true, true, false, true, true, true, false])
        try writeFold("fold_1", labels: [2, 1, 0, 2, 1, 0, 1], right: [true, false, true, true, true, true, true])
        let run = try run([
            "--predictions", "fold_0.csv", "--predictions", "fold_1.csv", "--hierarchy", "h.json",
            "--out", "results", "--bootstrap", "100"
        ])
        XCTAssertEqual(run.status, 0, run.stderr)
        let doc = try DocumentIO.decode(PipelineDocument.self, from: run.stdout, source: "stdout")
        XCTAssertEqual(doc.format, "hmil.eval/1")
        XCTAssertEqual(doc.folds.map(\.fold), [0, 1])
        XCTAssertEqual(doc.slides.count, 15)
        let evaluation = try XCTUnwrap(doc.evaluation)
        XCTAssertEqual(evaluation.source, "predictions")
        let fine = try XCTUnwrap(evaluation.folds[0].parts[.test]?.levels[.fine])
        XCTAssertEqual(fine.metrics[.accuracy]?.value, 0.75)
        XCTAssertEqual(fine.confusionMatrix, [[2, 1, 0], [0, 2, 0], [1, 0, 2]])
        XCTAssertNotNil(fine.metrics[.aucMacro]?.ci95)
        XCTAssertEqual(evaluation.summary[.test]?.levels[.fine]?.metrics[.accuracy]?.folds, 2)
        XCTAssertTrue(run.stderr.contains("fine level, test part (15 slides, 2 folds"), run.stderr)

        let results = work.appendingPathComponent("results")
        for file in [
            "eval.json", "test/fine/fold_0.csv", "test/fine/fold_1.csv", "test/fine/summary.csv", "test/fine/roc_fold_0.svg",
            "test/fine/confusion.svg", "test/coarse_from_fine/fold_1.csv", "test/coarse_from_fine/summary.csv"
        ] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: results.appendingPathComponent(file).path), file)
        }
        // The saved copy names the prediction files from results/, stdout from the working directory.
        let saved = try DocumentIO.decode(
            PipelineDocument.self, from: Data(contentsOf: results.appendingPathComponent("eval.json")),
            source: "eval.json")
        XCTAssertEqual(saved.evaluation?.inputs, ["../fold_0.csv", "../fold_1.csv"])
        XCTAssertEqual(doc.evaluation?.inputs, ["fold_0.csv", "fold_1.csv"])
        XCTAssertEqual(saved.resolvingPaths(readFrom: "results/eval.json"), doc)
        XCTAssertEqual(
            try Data(contentsOf: results.appendingPathComponent("test/fine/fold_0.csv")),
            try Data(contentsOf: work.appendingPathComponent("fold_0.csv")), "CLAM's bytes for CLAM's values")
        let summary = try String(contentsOf: results.appendingPathComponent("test/fine/summary.csv"), encoding: .utf8)
        XCTAssertTrue(summary.hasPrefix(",folds,test_auc,test_acc,test_balanced_accuracy,"), summary)
        XCTAssertTrue(summary.contains("\n0,0,"), summary)
        XCTAssertFalse(
            try FileManager.default.contentsOfDirectory(atPath: results.appendingPathComponent("test/fine").path)
                .contains { $0.hasPrefix(".") }, "no temporary files left")

        let again = try self.run([
            "--predictions", "fold_0.csv", "--predictions", "fold_1.csv", "--hierarchy", "h.json",
            "--bootstrap", "100", "--quiet"
        ])
        XCTAssertEqual(again.stdout, run.stdout, "deterministic")
        XCTAssertEqual(again.stderr, "")
    }

    func testFoldWithOneClassSaysAUCIsUndefined() throws {
        try writeFold("fold_3", labels: [2, 2, 2, 2], right: [true, true, false, true])
        let run = try run(["--predictions", "fold_3.csv", "--hierarchy", "h.json", "--format", "table"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(
            run.stderr.contains(
                "hmil-eval: warning: AUC undefined on fold 3 (test, fine level, fold_3.csv): only class 'DCIS' occurs in the labels; reported as null"
            ),
            run.stderr)
        let table = String(decoding: run.stdout, as: UTF8.self)
        XCTAssertTrue(table.contains("macro AUC (one-vs-rest)   —  undefined on fold 3"), table)
    }

    func testBadInputIsOneLineAndNonZeroExit() throws {
        try "slide_id,Y,p_0,p_1,p_2\ns,0,1,0,0\n".write(to: work.appendingPathComponent("bad.csv"), atomically: true, encoding: .utf8)
        let bad = try run(["--predictions", "bad.csv", "--hierarchy", "h.json"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(
            bad.stderr,
            "hmil-eval: error: missing column Y_hat (bad.csv, line 1) — CLAM's fold_k.csv layout is slide_id,Y,Y_hat,p_0..p_2 for the 3 fine classes\n"
        )
        XCTAssertTrue(bad.stdout.isEmpty)

        try writeFold("fold_0", labels: [0, 1], right: [true, true])
        let wrongLevel = try run(["--predictions", "fold_0.csv", "--hierarchy", "h.json", "--level", "coarse"])
        XCTAssertEqual(wrongLevel.status, 1)
        XCTAssertTrue(wrongLevel.stderr.hasPrefix("hmil-eval: error: column 'p_2' but the coarse level has 2 classes"), wrongLevel.stderr)

        let noHierarchy = try run(["--predictions", "fold_0.csv"])
        XCTAssertNotEqual(noHierarchy.status, 0)
        XCTAssertTrue(noHierarchy.stderr.contains("--predictions needs --hierarchy"), noHierarchy.stderr)

        // Prediction files carry neither attention nor both heads: the options that need them say where to get them.
        let instances = try run(["--predictions", "fold_0.csv", "--hierarchy", "h.json", "--instance-labels", "key.csv"])
        XCTAssertNotEqual(instances.status, 0)
        XCTAssertTrue(
            instances.stderr.contains(
                "--instance-labels scores attention, which prediction files do not carry — give the models documents from hmil-train"),
            instances.stderr)
        let beta = try run(["--predictions", "fold_0.csv", "--hierarchy", "h.json", "--hierarchy-beta", "1"])
        XCTAssertNotEqual(beta.status, 0)
        XCTAssertTrue(beta.stderr.contains("--hierarchy-beta needs both heads' probabilities"), beta.stderr)
        let negative = try run(["--predictions", "fold_0.csv", "--hierarchy", "h.json", "--hierarchy-beta=-1"])
        XCTAssertNotEqual(negative.status, 0)
        XCTAssertTrue(negative.stderr.contains("--hierarchy-beta must be a finite number ≥ 0, not -1.0"), negative.stderr)
    }

    func testModelDocumentWithoutPacksIsOneLine() throws {
        var doc = PipelineDocument(
            format: PipelineDocument.modelsFormat,
            hierarchy: Hierarchy(coarse: ["b"], fine: ["N"], parent: ["N": "b"]), scheme: "kfold", seed: 1,
            slides: [SlideRecord(slideID: "s", caseID: "c", label: "N")],
            folds: [FoldRecord(fold: 0, train: [], val: [], test: ["s"])])
        doc.models = [ModelRecord(fold: 0, checkpoint: "fold_0.safetensors", bestEpoch: 3, val: [:])]
        try DocumentIO.encode(doc).write(to: work.appendingPathComponent("models.json"))
        let run = try run(["models.json"])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr, "hmil-eval: error: the document lists no packs (models.json) — run hmil-pack first\n")
    }

    func testHelpDocumentsEveryOptionWithDefaults() throws {
        let run = try run(["--help"])
        XCTAssertEqual(run.status, 0)
        let help = String(decoding: run.stdout, as: UTF8.self)
        for text in [
            "--predictions", "--hierarchy", "--level", "default: fine", "--part", "default: test", "--format",
            "default: json", "--bootstrap", "(default: 1000)", "--seed", "(default: 1)", "--out", "--quiet",
            "--parts", "default: test,val", "--threads", "(default: 0)", "--attention", "--dataset",
            "--instance-labels", "slide_id,instance,label", "--hierarchy-beta", "fine_hierarchical"
        ] {
            XCTAssertTrue(help.contains(text), text)
        }
    }
}
