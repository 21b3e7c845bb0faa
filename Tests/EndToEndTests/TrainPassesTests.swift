import Foundation
import Shared
import XCTest

/// One or two passes per bag: the trainer runs the two-pass scheme only in epochs whose effective
/// contrastive weight w_con·(1 − α) is not 0, so `--weight-contrastive 0` makes every epoch one pass,
/// with the same weights the two-pass scheme gives (its SupCon gradient is then zero).
final class TrainPassesTests: XCTestCase {
    var h: TrainHarness!

    override func setUpWithError() throws { h = try TrainHarness("passes") }
    override func tearDownWithError() throws { h.remove() }

    /// A trainer of fold 0 of the harness's dataset, in-process, so its pass counter can be read.
    func trainer(_ options: TrainingOptions, out: String, alwaysTwoPasses: Bool = false) throws -> Trainer {
        let document = try DocumentIO.decode(PipelineDocument.self, from: XCTUnwrap(h.data("dataset.json")), source: "dataset.json")
        let bags = try BagSource(document: document, source: "dataset.json")
        let trainer = try Trainer(document: document, source: "dataset.json", options: options, fold: 0,
                                  folder: h.path("\(out)/fold_0"), bags: bags, quiet: true)
        trainer.alwaysTwoPasses = alwaysTwoPasses
        _ = try trainer.run(resume: false)
        return trainer
    }

    func testZeroContrastiveWeightTrainsEveryEpochInOnePassWithTheTwoPassWeights() throws {
        _ = try h.plantedDataset(perClass: 4, valPerClass: 1)
        let bags = 16, epochs = 3
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = 8
        options.lr = 1e-3
        options.threads = 2

        // The default objective: epoch 0 (α = 1) one pass, then two (every bag recomputed: budget 0).
        let supCon = try trainer(options, out: "supcon")
        XCTAssertEqual(supCon.forwardPasses, bags + (epochs - 1) * 2 * bags)

        options.weightContrastive = 0
        let one = try trainer(options, out: "one")
        XCTAssertEqual(one.forwardPasses, epochs * bags)
        let two = try trainer(options, out: "two", alwaysTwoPasses: true)
        XCTAssertEqual(two.forwardPasses, epochs * 2 * bags)

        for file in ["epoch-2.safetensors", "epoch-2.optimizer.safetensors", "best.safetensors"] {
            XCTAssertEqual(try XCTUnwrap(h.data("one/fold_0/\(file)"), file), h.data("two/fold_0/\(file)"), file)
        }
        XCTAssertNotEqual(h.data("one/fold_0/epoch-2.safetensors"), h.data("supcon/fold_0/epoch-2.safetensors"))
        let oneHistory = try h.history("one"), twoHistory = try h.history("two")
        XCTAssertEqual(oneHistory.count, epochs)
        XCTAssertEqual(twoHistory.count, epochs)
        for (a, b) in zip(oneHistory, twoHistory) {
            let trainA = a["train"] as! [String: Double], trainB = b["train"] as! [String: Double]
            XCTAssertEqual(trainA["total"], trainB["total"])
            XCTAssertEqual(trainA["contrastive"], 0, "one pass: SupCon is not computed")
            XCTAssertEqual(a["val"] as! [String: Double], b["val"] as! [String: Double])
        }
    }
}
