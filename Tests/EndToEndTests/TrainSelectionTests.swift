import Foundation
import Shared
import XCTest

/// Checkpoint selection through the built hmil-train: when the validation AUC saturates early, the kept
/// epoch is the one of lowest validation loss among those that reach it, not the first.
final class TrainSelectionTests: XCTestCase {
    var h: TrainHarness!

    override func setUpWithError() throws { h = try TrainHarness("selection") }
    override func tearDownWithError() throws { h.remove() }

    func testASaturatedValidationAUCKeepsTheEpochOfLowestValidationLoss() throws {
        // Strongly planted classes and few validation bags: the fine AUC reaches 1.0 within the first
        // epochs while the validation loss keeps falling.
        _ = try h.plantedDataset(perClass: 6, valPerClass: 2, planted: 8, shift: 8)
        let run = try h.train(
            h.path("dataset.json"), out: "work",
            ["--epochs", "6", "--batch-size", "4", "--lr", "1e-3", "--threads", "1", "--seed", "2"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let history = try h.history("work")
        XCTAssertEqual(history.count, 6)
        let auc = history.map { ($0["val"] as! [String: Double])["fine_auc"]! }
        let loss = history.map { ($0["val"] as! [String: Double])["loss"]! }
        let best = auc.max()!
        let tied = auc.indices.filter { auc[$0] == best }
        XCTAssertGreaterThanOrEqual(tied.count, 2, "the test needs a saturated AUC: \(auc)")
        let expected = tied.min { loss[$0] < loss[$1] }!
        XCTAssertNotEqual(expected, tied[0], "the test needs the loss to fall after the AUC saturates: \(loss)")
        XCTAssertEqual(try TrainHarness.models(run).models?.first?.bestEpoch, expected, "AUC \(auc), loss \(loss)")
    }

    func testSelectionLastKeepsTheFinalEpochWhateverValidationSays() throws {
        _ = try h.plantedDataset(perClass: 6, valPerClass: 2, planted: 8, shift: 8)
        let run = try h.train(
            h.path("dataset.json"), out: "work",
            [
                "--epochs", "4", "--batch-size", "4", "--lr", "1e-3", "--threads", "1", "--seed", "2",
                "--selection-metric", "last"
            ])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try h.history("work").count, 4, "validation is still recorded every epoch")
        XCTAssertEqual(try TrainHarness.models(run).models?.first?.bestEpoch, 3)
        let best = try Data(contentsOf: URL(fileURLWithPath: h.path("work/fold_0/best.safetensors")))
        let last = try Data(contentsOf: URL(fileURLWithPath: h.path("work/fold_0/epoch-3.safetensors")))
        XCTAssertEqual(best, last, "the kept checkpoint is the final epoch's")
    }
}
