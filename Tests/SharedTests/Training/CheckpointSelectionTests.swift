import Foundation
import Shared
import XCTest

/// The kept epoch: the best selection value; ties go to the lower validation loss, then the earlier epoch.
final class CheckpointSelectionTests: XCTestCase {
    /// Replays a run's epochs (selection value, validation loss) and returns the epoch kept.
    func kept(_ epochs: [(value: Double, loss: Double?)]) -> Int? {
        var best: CheckpointSelection.Best?
        var epoch: Int?
        for (e, record) in epochs.enumerated() where CheckpointSelection.improves(value: record.value, loss: record.loss, over: best) {
            best = CheckpointSelection.Best(value: record.value, loss: record.loss)
            epoch = e
        }
        return epoch
    }

    func testASaturatedAUCKeepsTheEpochOfLowestLoss() {
        // Validation AUC reaches 1.0 at epoch 0 while the loss keeps falling: the later epoch is kept.
        XCTAssertEqual(kept([(1.0, 0.9), (1.0, 0.5), (1.0, 0.3), (1.0, 0.4)]), 2)
        // A higher value still wins whatever its loss.
        XCTAssertEqual(kept([(0.9, 0.1), (1.0, 0.8), (0.95, 0.05)]), 1)
    }

    func testEqualLossKeepsTheEarlierEpoch() {
        XCTAssertEqual(kept([(0.8, 0.5), (0.8, 0.5), (0.7, 0.1)]), 0)
    }

    func testMissingOrNonFiniteLossNeverWinsATie() {
        XCTAssertEqual(kept([(0.8, nil), (0.8, .nan), (0.8, .infinity), (0.8, 0.9)]), 3)
        XCTAssertEqual(kept([(0.8, 0.9), (0.8, nil), (0.8, .nan)]), 0)
        XCTAssertEqual(kept([(0.8, nil), (0.8, nil)]), 0)
    }

    /// The tie-break's loss comes from the kept epoch's history record, so a state.json written before
    /// the tie-break (no extra field) resumes with it.
    func testStateReadsTheKeptEpochsLossFromItsHistory() throws {
        let json = """
            {"format": "hmil.train-state/1", "fold": 0, "completed_epochs": 2, "best_epoch": 0, "best_value": 1,
             "stale_epochs": 1, "scheduler": \(String(decoding: try JSONEncoder().encode(ReduceLROnPlateau(mode: .min, factor: 0.1, patience: 5).state), as: UTF8.self)),
             "history": [{"epoch": 0, "lr": 0.001, "alpha": 1, "tau": 1, "train": {}, "val": {"loss": 0.7, "fine_auc": 1}, "seconds": 1},
                         {"epoch": 1, "lr": 0.001, "alpha": 1, "tau": 1, "train": {}, "val": {"loss": 0.9, "fine_auc": 1}, "seconds": 1}],
             "finished": false, "options": "{}"}
            """
        let state = try DocumentIO.decode(TrainingState.self, from: Data(json.utf8), source: "state.json")
        XCTAssertEqual(state.best, CheckpointSelection.Best(value: 1, loss: 0.7))
        XCTAssertTrue(CheckpointSelection.improves(value: 1, loss: 0.5, over: state.best))
        XCTAssertFalse(CheckpointSelection.improves(value: 1, loss: 0.7, over: state.best))
    }
}
