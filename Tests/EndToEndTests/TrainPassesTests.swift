import Foundation
import Shared
import XCTest

/// One or two passes per bag: the trainer runs the batch-term scheme only in epochs whose effective
/// contrastive weight w_con·(1 − α) is not 0, so `--weight-contrastive 0` makes every epoch one pass,
/// with the same weights the two-pass scheme gives (its SupCon gradient is then zero). In the
/// batch-term epochs, bags that fit the memory budget keep their activations (one pass) and the
/// others are recomputed (two): the weights are byte-identical whatever the budget.
final class TrainPassesTests: XCTestCase {
    var h: TrainHarness!

    override func setUpWithError() throws { h = try TrainHarness("passes") }
    override func tearDownWithError() throws { h.remove() }

    /// A trainer of fold 0 of the harness's dataset, in-process, so its pass counter can be read.
    func trainer(_ options: TrainingOptions, out: String, alwaysTwoPasses: Bool = false, memoryBudget: Int = 0) throws -> Trainer {
        let document = try DocumentIO.decode(PipelineDocument.self, from: XCTUnwrap(h.data("dataset.json")), source: "dataset.json")
        let bags = try BagSource(document: document, source: "dataset.json")
        let trainer = try Trainer(
            document: document, source: "dataset.json", options: options, fold: 0,
            folder: h.path("\(out)/fold_0"), bags: bags, memoryBudget: memoryBudget, quiet: true)
        trainer.alwaysTwoPasses = alwaysTwoPasses
        _ = try trainer.run(resume: false)
        return trainer
    }

    func testZeroContrastiveWeightTrainsEveryEpochInOnePassWithTheTwoPassWeights() throws {
        _ = try h.plantedDataset(perClass: 4, valPerClass: 1)
        let bags = 16
        let epochs = 3
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
        let oneHistory = try h.history("one")
        let twoHistory = try h.history("two")
        XCTAssertEqual(oneHistory.count, epochs)
        XCTAssertEqual(twoHistory.count, epochs)
        for (a, b) in zip(oneHistory, twoHistory) {
            let trainA = a["train"] as! [String: Double]
            let trainB = b["train"] as! [String: Double]
            XCTAssertEqual(trainA["total"], trainB["total"])
            XCTAssertEqual(trainA["contrastive"], 0, "one pass: SupCon is not computed")
            XCTAssertEqual(a["val"] as! [String: Double], b["val"] as! [String: Double])
        }
    }

    /// Every training file of two runs is the same, byte for byte.
    func assertSameWeights(_ a: String, _ b: String, epochs: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        for name in ["epoch-\(epochs - 1).safetensors", "epoch-\(epochs - 1).optimizer.safetensors", "best.safetensors"] {
            XCTAssertEqual(
                try XCTUnwrap(h.data("\(a)/fold_0/\(name)"), name), h.data("\(b)/fold_0/\(name)"),
                "\(a) vs \(b): \(name)", file: file, line: line)
        }
    }

    /// HMIL with dropout (each bag's masks seeded by its position, so a recomputed forward draws the
    /// same masks), 2 workers: a budget that keeps every bag makes each batch one pass, one that keeps
    /// some bags recomputes the rest, none recomputes all; the weights are the same in all three.
    /// The kept activations stay within the budget, in workspaces reused from batch to batch.
    func testMemoryBudgetChangesPassesNotWeightsHMIL() throws {
        _ = try h.plantedDataset(perClass: 4, valPerClass: 1)
        let bags = 16
        let epochs = 4
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = 8
        options.lr = 1e-3
        options.threads = 2
        options.dropout = true

        let recomputed = try trainer(options, out: "none", memoryBudget: 0)
        XCTAssertEqual(recomputed.forwardPasses, bags + (epochs - 1) * 2 * bags)
        XCTAssertEqual(recomputed.peakKeptBytes, 0)
        XCTAssertEqual(recomputed.keptWorkspaces, 0)

        let budget = 64 << 20
        let kept = try trainer(options, out: "all", memoryBudget: budget)
        XCTAssertEqual(kept.forwardPasses, epochs * bags, "every batch fits: one pass")
        XCTAssertGreaterThan(kept.peakKeptBytes, 0)
        XCTAssertLessThanOrEqual(kept.peakKeptBytes, budget)
        // 3 epochs × 2 batches of 8 bags kept, in at most one batch's worth of workspaces.
        XCTAssertLessThanOrEqual(kept.keptWorkspaces, 8)
        try assertSameWeights("none", "all", epochs: epochs)

        // Room for about three of a batch's bags (30–60 instances of 16 features each).
        let small = kept.peakKeptBytes * 3 / 8
        let some = try trainer(options, out: "some", memoryBudget: small)
        XCTAssertGreaterThan(some.forwardPasses, epochs * bags)
        XCTAssertLessThan(some.forwardPasses, bags + (epochs - 1) * 2 * bags)
        XCTAssertLessThanOrEqual(some.peakKeptBytes, small)
        try assertSameWeights("none", "some", epochs: epochs)
    }

    /// ABMIL has no batch-level term, so it always trains in one pass; forced through the batch-term
    /// path (with dropout), kept and recomputed activations give the one-pass weights.
    func testMemoryBudgetChangesPassesNotWeightsABMIL() throws {
        _ = try h.plantedDataset(perClass: 4, valPerClass: 1)
        let bags = 16
        let epochs = 3
        var options = TrainingOptions()
        options.model = .abmil
        options.epochs = epochs
        options.batchSize = 8
        options.lr = 1e-3
        options.threads = 2
        options.dropout = true

        let one = try trainer(options, out: "one", memoryBudget: 0)
        XCTAssertEqual(one.forwardPasses, epochs * bags)
        let recomputed = try trainer(options, out: "none", alwaysTwoPasses: true, memoryBudget: 0)
        XCTAssertEqual(recomputed.forwardPasses, epochs * 2 * bags)
        let kept = try trainer(options, out: "all", alwaysTwoPasses: true, memoryBudget: 64 << 20)
        XCTAssertEqual(kept.forwardPasses, epochs * bags)
        XCTAssertLessThanOrEqual(kept.keptWorkspaces, 8)
        try assertSameWeights("one", "none", epochs: epochs)
        try assertSameWeights("one", "all", epochs: epochs)
    }
}
