import Foundation
import Shared
import XCTest

/// The fixed costs cut for small bags (issue 12) leave every result as it was: bags kept in memory give
/// the bytes bags read from the pack each epoch give, and the epoch commit (on a background thread,
/// best.safetensors a link to the epoch's weights, the history files rebuilt from state.json) leaves the
/// files an uninterrupted run always left.
final class TrainSmallBagsTests: XCTestCase {
    var h: TrainHarness!

    override func setUpWithError() throws { h = try TrainHarness("small-bags") }
    override func tearDownWithError() throws { h.remove() }

    /// Fold 0 trained in-process with ABMIL, batch 1, Adam (the TINY shape of issue 12, smaller).
    func train(out: String, memoryLimit: Int, threads: Int) throws -> BagSource {
        let document = try DocumentIO.decode(PipelineDocument.self, from: XCTUnwrap(h.data("dataset.json")), source: "dataset.json")
        let bags = try BagSource(document: document, source: "dataset.json")
        bags.memoryLimit = memoryLimit
        var options = TrainingOptions()
        options.model = .abmil
        options.epochs = 3
        options.batchSize = 1
        options.lr = 1e-3
        options.threads = threads
        options.selectionMetric = .valLoss
        let trainer = try Trainer(
            document: document, source: "dataset.json", options: options, fold: 0,
            folder: h.path("\(out)/fold_0"), bags: bags, quiet: true)
        _ = try trainer.run(resume: false)
        return bags
    }

    func testBagsKeptInMemoryAreReadOnceAndTrainTheSameBytes() throws {
        _ = try h.plantedDataset(perClass: 3, valPerClass: 1, instances: 2...40)
        let trainCount = 12
        let valCount = 4
        let epochs = 3
        for threads in [1, 2] {
            let kept = try train(out: "kept\(threads)", memoryLimit: 256 << 20, threads: threads)
            XCTAssertEqual(kept.packReads, trainCount + valCount, "each bag read once")
            let read = try train(out: "read\(threads)", memoryLimit: 0, threads: threads)
            XCTAssertEqual(read.packReads, epochs * (trainCount + valCount), "each bag read every epoch")
            for file in ["best.safetensors", "epoch-2.safetensors", "epoch-2.optimizer.safetensors"] {
                XCTAssertEqual(h.data("kept\(threads)/fold_0/\(file)"), h.data("read\(threads)/fold_0/\(file)"), file)
            }
        }
    }

    func testCommittedFilesAndHistoryRebuiltOnResume() throws {
        _ = try h.plantedDataset(perClass: 3, valPerClass: 1, instances: 2...40)
        let arguments = ["--model", "abmil", "--epochs", "4", "--batch-size", "1", "--lr", "1e-3", "--selection-metric", "last"]
        let run = try h.train(h.path("dataset.json"), out: "work", arguments)
        XCTAssertEqual(run.status, 0, run.stderr)
        let fold = "work/fold_0"
        let files = try FileManager.default.contentsOfDirectory(atPath: h.path(fold)).sorted()
        XCTAssertEqual(
            files,
            [
                "best.safetensors", "epoch-3.optimizer.safetensors", "epoch-3.safetensors",
                "history.csv", "history.jsonl", "state.json"
            ])
        // The kept epoch is the last: best is its weights, with its epoch in the metadata.
        let best = try XCTUnwrap(h.data("\(fold)/best.safetensors"))
        XCTAssertEqual(best, h.data("\(fold)/epoch-3.safetensors"))
        XCTAssertEqual(try SafetensorsFile(bytes: best).metadata["epoch"], "3")
        let state = try XCTUnwrap(TrainingState.load(from: h.path(fold)))
        XCTAssertEqual(state.completedEpochs, 4)
        XCTAssertEqual(try h.history("work").count, 4)

        // History files lost (they are not synced): a resume rebuilds them from state.json.
        let jsonl = h.data("\(fold)/history.jsonl")
        let csv = h.data("\(fold)/history.csv")
        try FileManager.default.removeItem(atPath: h.path("\(fold)/history.jsonl"))
        try FileManager.default.removeItem(atPath: h.path("\(fold)/history.csv"))
        let resumed = try h.train(h.path("dataset.json"), out: "work", arguments + ["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(h.data("\(fold)/history.jsonl"), jsonl)
        XCTAssertEqual(h.data("\(fold)/history.csv"), csv)
        XCTAssertEqual(h.data("\(fold)/best.safetensors"), best)
    }
}
