import Foundation
import Shared
import TestSupport
import XCTest

/// `make -C pipelines study` on tiny settings (small demo data, 2 runs × 2 seeds × 2 folds, 2 epochs):
/// study.json's structure and numbers against the runs' eval.json, each seed on its own folds, a second
/// make that trains nothing, and a changed run's flags redoing that run only. Also the Makefile's named
/// runs (FLAGS_<run>) in a dry run, and hmil-study's errors. Skips when Fashion-MNIST is not installed.
final class StudyTests: XCTestCase {
    static let datasetFolder = "/usr/share/datasets/fashion-mnist"
    var scratch: String!

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "study-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let scratch { try? FileManager.default.removeItem(atPath: scratch) }
    }

    func requireFashionMNIST() throws {
        let names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
        guard names.allSatisfy({ FileManager.default.fileExists(atPath: Self.datasetFolder + "/" + $0 + ".gz") }) else {
            throw XCTSkip("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist; `make test` installs it)")
        }
    }

    func testNamedRunsTrainWithExactlyTheirFlags() throws {
        let result = try runMake([
            "-n", "demo", "DEMO_WORK=" + scratch + "/demo", "SMALL=1", "FOLDS=2", "EPOCHS=3",
            "RUNS=abmil wa", "FLAGS_wa=--preset hmil --weight-attention 0.5"
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        let train = result.output.split(separator: "\n").filter { $0.contains("/hmil-train --out ") }
        let wa = train.filter { $0.contains("/runs/wa ") }
        XCTAssertEqual(wa.count, 2)
        XCTAssertTrue(
            wa.allSatisfy {
                $0.contains(
                    "--resume --epochs 3 --threads 1 --seed 1 --batch-size 16 --lr 1e-3 --selection-metric last --preset hmil --weight-attention 0.5 <"
                )
            },
            wa.joined(separator: "\n"))
        let abmil = train.filter { $0.contains("/runs/abmil ") }
        XCTAssertEqual(abmil.count, 2)
        XCTAssertTrue(
            abmil.allSatisfy { $0.contains("--resume --preset hmil --model abmil --epochs 3 ") }, "a run without FLAGS_ keeps its meaning")
    }

    func testStudyDryRunSplitsAndTrainsEverySeedOnItsOwnFolds() throws {
        let study = scratch + "/study"
        let result = try runMake([
            "-n", "study", "STUDY_TASK=garments", "SMALL=1", "DEMO_WORK=" + scratch + "/demo",
            "STUDY_WORK=" + study, "SEEDS=3 4", "FOLDS=2", "EPOCHS=2"
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.output.split(separator: "\n").map(String.init)
        for seed in [3, 4] {
            XCTAssertEqual(
                lines.filter {
                    $0.contains("/hmil-split ") && $0.contains("--seed \(seed) ") && $0.contains("\(study)/seed_\(seed)/split.json")
                }.count, 1,
                "one split of seed \(seed)")
            for run in ["abmil", "hmil"] {
                XCTAssertEqual(
                    lines.filter { $0.contains("/hmil-train --out \(study)/seed_\(seed)/runs/\(run) ") && $0.contains("--seed \(seed) ") }
                        .count, 2,
                    "\(run) trains both folds of seed \(seed) with --seed \(seed)")
            }
        }
        XCTAssertEqual(lines.filter { $0.contains("/hmil-study \(study) --runs abmil hmil --seeds 3 4 --baseline abmil") }.count, 1)
        XCTAssertTrue(
            lines.contains { $0.contains("/hmil-eval ") && $0.contains("--instance-labels \(scratch!)/demo/data/instance_labels.csv") },
            "a demo task's study measures the key AUC")
        XCTAssertFalse(FileManager.default.fileExists(atPath: study), "-n runs nothing")
    }

    func testTinyStudyComparesRunsPairByPairAndReusesWhatIsDone() throws {
        try requireFashionMNIST()
        let study = scratch + "/study"
        var settings = [
            "study", "STUDY_TASK=garments", "SMALL=1", "DEMO_WORK=" + scratch + "/demo", "STUDY_WORK=" + study,
            "RUNS=abmil wa", "SEEDS=1 2", "FOLDS=2", "EPOCHS=2", "BATCH_SIZE=8"
        ]
        // Key AUCs need hmil-eval --instance-labels; without it the study shows "—" for them.
        let instanceLabels = try evalHasInstanceLabels()
        if !instanceLabels { settings.append("EVAL_FLAGS=") }
        let started = Date()
        let first = try runMake(settings + ["FLAGS_wa=--preset hmil --weight-attention 0.5"])
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.output.contains("# Study: 2 runs × 4 fold×seed pairs"), first.output)
        print("tiny study: \(String(format: "%.1f", seconds)) s")

        // Each seed has its own folds.
        let split1 = try document(study + "/seed_1/split.json")
        let split2 = try document(study + "/seed_2/split.json")
        XCTAssertEqual(split1.seed, 1)
        XCTAssertEqual(split2.seed, 2)
        XCTAssertNotEqual(split1.folds, split2.folds)

        let json = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: study + "/study.json"))) as? [String: Any])
        XCTAssertEqual(json["format"] as? String, "hmil.study/1")
        XCTAssertEqual(json["baseline"] as? String, "abmil")
        XCTAssertEqual(json["seeds"] as? [Int], [1, 2])
        let pairs = try XCTUnwrap(json["pairs"] as? [[String: Int]])
        XCTAssertEqual(pairs, [["seed": 1, "fold": 0], ["seed": 1, "fold": 1], ["seed": 2, "fold": 0], ["seed": 2, "fold": 1]])
        let keys = try XCTUnwrap(json["metrics"] as? [[String: Any]]).compactMap { $0["key"] as? String }
        XCTAssertEqual(
            keys,
            [
                "fine_accuracy", "fine_balanced_accuracy", "fine_auc_macro", "coarse_accuracy",
                "coarse_balanced_accuracy", "coarse_auc_macro", "coarse_from_fine_accuracy",
                "coarse_from_fine_balanced_accuracy", "coarse_from_fine_auc_macro", "key_auc_fine",
                "key_auc_fine_per_bag", "key_auc_coarse", "key_auc_coarse_per_bag"
            ])
        let runs = try XCTUnwrap(json["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.compactMap { $0["name"] as? String }, ["abmil", "wa"])
        XCTAssertEqual(runs.compactMap { $0["coarse_level"] as? String }, ["coarse_from_fine", "coarse"])

        // Every value is the fold's test metric in that seed's eval.json; the paired mean is their difference.
        func foldValues(_ run: String, _ level: EvaluationLevel) throws -> [Double] {
            try [1, 2].flatMap { seed in
                try document("\(study)/seed_\(seed)/runs/\(run)/eval.json").evaluation!.folds.map {
                    $0.parts[.test]!.levels[level]!.metrics[.accuracy]!.value!
                }
            }
        }
        let abmilFine = try foldValues("abmil", .fine)
        let waFine = try foldValues("wa", .fine)
        for (run, expected) in [(runs[0], abmilFine), (runs[1], waFine)] {
            let metrics = try XCTUnwrap(run["metrics"] as? [String: [String: Any]])
            XCTAssertEqual(Set(metrics.keys), Set(keys))
            // (Foundation's JSONSerialization may be off in the last bit, so compare to 1e-12.)
            let values = try XCTUnwrap(metrics["fine_accuracy"]?["values"] as? [Double])
            XCTAssertEqual(values.count, expected.count)
            for (value, fold) in zip(values, expected) { XCTAssertEqual(value, fold, accuracy: 1e-12) }
            XCTAssertEqual(metrics["fine_accuracy"]?["n"] as? Int, 4)
            XCTAssertEqual(try XCTUnwrap(metrics["fine_accuracy"]?["mean"] as? Double), expected.reduce(0, +) / 4, accuracy: 1e-12)
            XCTAssertEqual((metrics["key_auc_fine"]?["values"] as? [Any])?.count, 4)
            if instanceLabels {
                XCTAssertEqual((metrics["key_auc_fine"]?["values"] as? [Double])?.count, 4, "key AUC on every pair")
            } else {
                XCTAssertEqual(metrics["key_auc_fine"]?["n"] as? Int, 0)
            }
            let cpu = try XCTUnwrap(run["cpu_seconds"] as? Double, "CPU time of \(run["name"]!)")
            XCTAssertGreaterThan(cpu, 0)
            XCTAssertEqual(run["cpu_seconds_folds"] as? Int, 4)
            let options = try XCTUnwrap(run["train_options"] as? [String])
            XCTAssertTrue(options[0].contains("--seed 1") && options[1].contains("--seed 2"), "\(options)")
        }
        XCTAssertNil(runs[0]["versus_baseline"], "no comparison of the baseline with itself")
        let versus = try XCTUnwrap(runs[1]["versus_baseline"] as? [String: [String: Any]])
        XCTAssertEqual(Set(versus.keys), Set(keys))
        let fine = try XCTUnwrap(versus["fine_accuracy"])
        XCTAssertEqual(fine["n"] as? Int, 4)
        let differences = zip(waFine, abmilFine).map { $0 - $1 }
        XCTAssertEqual(try XCTUnwrap(fine["mean"] as? Double), differences.reduce(0, +) / 4, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(fine["wilcoxon_p"] as? Double), WilcoxonSignedRank(differences: differences).pValue!, accuracy: 1e-12)
        XCTAssertEqual((fine["ci95"] as? [Double])?.count, 2)
        XCTAssertEqual((fine["wins"] as! Int) + (fine["losses"] as! Int) + (fine["ties"] as! Int), 4)
        let markdown = try String(contentsOfFile: study + "/study.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("\n| abmil | ") && markdown.contains("\n| wa | fine acc | "), markdown)
        XCTAssertTrue(markdown.contains("--weight-attention 0.5"), markdown)

        // Again: nothing is trained, evaluated or summarised anew.
        let again = try runMake(settings + ["FLAGS_wa=--preset hmil --weight-attention 0.5"])
        XCTAssertEqual(again.status, 0, again.stderr)
        for step in ["pipeline: split", "pipeline: pack", "pipeline: train", "pipeline: eval", "pipeline: study →"] {
            XCTAssertFalse(again.stderr.contains(step), "a second make reuses everything: \(again.stderr)")
        }

        // Other flags for `wa`: only wa's folds train again, on both seeds; abmil is reused.
        let changed = try runMake(settings + ["FLAGS_wa=--preset hmil --weight-attention 0.25"])
        XCTAssertEqual(changed.status, 0, changed.stderr)
        let trained = changed.stderr.split(separator: "\n").filter { $0.hasPrefix("pipeline: train") }
        XCTAssertEqual(trained.count, 4, changed.stderr)
        XCTAssertTrue(trained.allSatisfy { $0.hasPrefix("pipeline: train wa ") }, changed.stderr)
        XCTAssertTrue(changed.stderr.contains("pipeline: study →"), "the summary is redone: \(changed.stderr)")
        XCTAssertTrue(try String(contentsOfFile: study + "/study.md", encoding: .utf8).contains("--weight-attention 0.25"))
    }

    func testStudyToolNamesAMissingRunAndABaselineOutsideTheRuns() throws {
        let missing = try BuiltTool.run("hmil-study", [scratch!, "--runs", "abmil", "hmil", "--seeds", "1"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.hasPrefix("hmil-study: error: no eval.json of run 'abmil' for seed 1 ("), missing.stderr)
        XCTAssertTrue(missing.stderr.contains(scratch + "/seed_1/runs/abmil/eval.json"), missing.stderr)
        XCTAssertEqual(missing.stderr.filter { $0 == "\n" }.count, 1, missing.stderr)

        let baseline = try BuiltTool.run("hmil-study", [scratch!, "--runs", "abmil", "hmil", "--seeds", "1", "--baseline", "reference"])
        XCTAssertEqual(baseline.status, 1)
        XCTAssertTrue(
            baseline.stderr.hasPrefix("hmil-study: error: --baseline 'reference' is not one of --runs (abmil hmil)"), baseline.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/study.json"))
    }

    // MARK: - Helpers

    private func evalHasInstanceLabels() throws -> Bool {
        try BuiltTool.run("hmil-eval", ["--help"]).output.contains("--instance-labels")
    }

    private func document(_ path: String) throws -> PipelineDocument {
        try DocumentIO.decode(PipelineDocument.self, from: Data(contentsOf: URL(fileURLWithPath: path)), source: path)
    }
}
