import Foundation
import Shared
import TestSupport
import XCTest

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The whole demo through pipelines/Makefile with the built tools, on a small version of the demo data
/// (20 bags per fine class, two folds, 12 epochs of batches of 8): every step's output exists and parses, the models
/// learn the task (fine accuracy well above chance, 1/7), the report scores the attention against the key
/// garments, and a second run reuses everything. Skips only when Fashion-MNIST is not installed.
final class PipelineTests: XCTestCase {
    static let datasetFolder = "/usr/share/datasets/fashion-mnist"
    static let runs = ["hmil", "reference", "abmil"]
    static let folds = 2
    /// Chance is 1/7 ≈ 0.14 on the fine level (seven balanced classes). With these settings the three runs
    /// measured 0.45–0.51 (mean over the two folds; the seeds make it the same on every machine), so twice
    /// chance fails only when learning is broken.
    static let fineAccuracyFloor = 0.30

    var scratch: String!

    override func setUpWithError() throws {
        let names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
        guard names.allSatisfy({ FileManager.default.fileExists(atPath: Self.datasetFolder + "/" + $0 + ".gz") }) else {
            throw XCTSkip("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist; `make test` installs it)")
        }
        scratch = NSTemporaryDirectory() + "pipeline-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let scratch { try? FileManager.default.removeItem(atPath: scratch) }
    }

    func testDemoRunsEndToEndLearnsTheTaskAndReusesWhatIsDone() throws {
        let work = scratch + "/demo-work"
        let settings = ["DEMO_WORK=" + work, "DEMO_BAGS_PER_CLASS=20", "FOLDS=\(Self.folds)", "EPOCHS=12", "BATCH_SIZE=8"]
        let first = try runMake(["demo"] + settings)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("hmil-train: fold 1 training"), "training progress on stderr: \(first.stderr)")

        // Every step's document parses and says what its step adds.
        let split = try document(work + "/split.json")
        XCTAssertEqual(split.format, PipelineDocument.splitFormat)
        XCTAssertEqual(split.slides.count, 7 * 20)
        XCTAssertEqual(split.folds.count, Self.folds)
        let dataset = try document(work + "/dataset.json")
        XCTAssertEqual(dataset.format, PipelineDocument.datasetFormat)
        XCTAssertEqual(dataset.packs?.first?.featureDim, 784)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/pack/bags.hbag"))

        for run in Self.runs {
            let folder = "\(work)/runs/\(run)"
            for k in 0..<Self.folds {
                let models = try document("\(folder)/fold_\(k).json")
                XCTAssertEqual(models.format, PipelineDocument.modelsFormat)
                XCTAssertEqual(models.models?.map(\.fold), [k], "\(run) fold \(k)")
                XCTAssertTrue(FileManager.default.fileExists(atPath: models.models?.first?.checkpoint ?? "-"), "\(run) fold \(k)")
                XCTAssertTrue(FileManager.default.fileExists(atPath: "\(folder)/results/test/fine/fold_\(k).csv"), "\(run) fold \(k)")
            }
            let eval = try document(folder + "/eval.json")
            XCTAssertEqual(eval.format, PipelineDocument.evalFormat)
            let evaluation = try XCTUnwrap(eval.evaluation, run)
            XCTAssertEqual(evaluation.folds.map(\.fold), Array(0..<Self.folds), run)
            let fine = try XCTUnwrap(evaluation.summary[.test]?.levels[.fine]?.metrics[.accuracy]?.mean, run)
            XCTAssertGreaterThan(fine, Self.fineAccuracyFloor, "\(run): fine accuracy \(fine) against chance 1/7")
            let table = try String(contentsOfFile: folder + "/table.txt", encoding: .utf8)
            XCTAssertFalse(table.isEmpty, run)

            // One attention file per test slide, its columns as hmil-eval documents them.
            let test = split.folds[0].test
            let attention = try String(contentsOfFile: "\(folder)/results/attention/fold_0/\(test[0]).csv", encoding: .utf8)
            let header = attention.prefix { $0 != "\n" }
            if run == "abmil" {
                XCTAssertEqual(header, "instance,x,y,attention")
            } else {
                XCTAssertTrue(
                    header.hasPrefix("instance,x,y,coarse:normal,coarse:footwear,coarse:tops,fine:normal,fine:sandal"), String(header))
            }
        }

        // The report: every run a row with the key-garment AUC of its attention, and a well-formed picture.
        let report = try String(contentsOfFile: work + "/report/results.txt", encoding: .utf8)
        let numbers = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/report/results.json")))
        let rows = try XCTUnwrap(numbers as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["run"] as? String }, Self.runs)
        for (run, row) in zip(Self.runs, rows) {
            XCTAssertTrue(report.contains("\n" + run + " "), report)
            let keyAUC = try XCTUnwrap(row["key_auc_fine_attention"] as? Double, run)
            XCTAssertTrue((0...1).contains(keyAUC), "\(run): \(keyAUC)")
            XCTAssertEqual(row["coarse_level"] as? String, run == "abmil" ? "coarse_from_fine" : "coarse")
        }
        XCTAssertTrue(first.output.contains("Test results") && first.output.contains("bags.svg"), first.output)
        let svg = try Data(contentsOf: URL(fileURLWithPath: work + "/report/bags.svg"))
        let parser = XMLParser(data: svg)
        XCTAssertTrue(parser.parse(), "bags.svg is well-formed: \(String(describing: parser.parserError))")

        // Heatmaps: every run's fold-0 slides drawn on the demo's slides (tiled pyramidal TIFFs) through OpenSlide.
        for run in Self.runs {
            let path = "\(work)/runs/\(run)/heatmaps/heatmaps.json"
            let summary = try JSONDecoder().decode(HeatmapsDocument.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            XCTAssertEqual(Set(summary.slides.map(\.slideID)), Set(split.folds[0].test + split.folds[0].val), run)
            for record in summary.slides {
                XCTAssertEqual(record.fold, 0, run)
                XCTAssertEqual(max(record.mapWidth, record.mapHeight), 560, "\(run) \(record.slideID)")
                XCTAssertGreaterThanOrEqual(try PNGFile.read(record.png, channels: .rgb).width, record.mapWidth, "\(run) \(record.slideID)")
            }
        }

        // A second run trains nothing and evaluates nothing again.
        let again = try runMake(["demo"] + settings)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertFalse(
            again.stderr.contains("pipeline: train") || again.stderr.contains("pipeline: eval"),
            "a second run reuses what is done: \(again.stderr)")
        XCTAssertFalse(again.stderr.contains("pipeline: heatmaps") || again.stderr.contains("pipeline: demo slides"), again.stderr)
    }

    /// The second task's small CI version (54 bags of 100–300 garments, 1–5 % key) through the whole demo:
    /// every run trains and is evaluated on both folds, and the report scores the attention. Few epochs:
    /// this checks the pipeline runs on the task, not that it learns it (the README's table does that).
    func testLesionsDemoRunsEndToEnd() throws {
        let work = scratch + "/demo-work-lesions"
        let result = try runMake(["demo", "TASK=lesions", "SMALL=1", "DEMO_WORK=" + work, "FOLDS=2", "EPOCHS=3", "BATCH_SIZE=8"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let hierarchy = try document(work + "/split.json").hierarchy
        XCTAssertEqual(hierarchy.fine.count, 9)
        for run in Self.runs {
            let evaluation = try XCTUnwrap(try document("\(work)/runs/\(run)/eval.json").evaluation, run)
            XCTAssertEqual(evaluation.folds.map(\.fold), [0, 1], run)
            XCTAssertEqual(evaluation.folds[0].parts[.test]?.levels[.fine]?.classes.count, 9, run)
        }
        let numbers = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/report/results.json")))
        let rows = try XCTUnwrap(numbers as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["run"] as? String }, Self.runs)
        for row in rows {
            let keyAUC = try XCTUnwrap(row["key_auc_fine_attention"] as? Double, "\(row)")
            XCTAssertTrue((0...1).contains(keyAUC), "\(row)")
        }
    }

    // MARK: - Helpers

    private func document(_ path: String) throws -> PipelineDocument {
        try DocumentIO.decode(PipelineDocument.self, from: Data(contentsOf: URL(fileURLWithPath: path)), source: path)
    }
}
