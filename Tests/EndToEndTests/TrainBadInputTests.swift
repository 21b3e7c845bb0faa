import Foundation
import Shared
import TestSupport
import XCTest

/// Each kind of bad input ends hmil-train with one line on stderr (`hmil-train: error: …`) that says
/// what is wrong and where, a non-zero exit, and no crash.
final class TrainBadInputTests: XCTestCase {
    var h: TrainHarness!
    var data: TrainHarness.Dataset!

    override func setUpWithError() throws {
        h = try TrainHarness("bad")
        data = try h.plantedDataset(perClass: 2, valPerClass: 1)
    }

    override func tearDownWithError() throws { h.remove() }

    let short = ["--epochs", "2", "--batch-size", "4", "--threads", "1"]

    @discardableResult
    func assertError(
        document: String = "dataset.json", _ arguments: [String] = [], contains parts: [String],
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> ToolRun {
        let run = try h.train(h.path(document), out: "work", short + arguments)
        XCTAssertNotEqual(run.status, 0, "exit status", file: file, line: line)
        XCTAssertEqual(run.errorLines.count, 1, "one line on stderr: \(run.stderr)", file: file, line: line)
        XCTAssertTrue(run.stderr.hasPrefix("hmil-train: error: "), run.stderr, file: file, line: line)
        for part in parts { XCTAssertTrue(run.stderr.contains(part), "'\(part)' in: \(run.stderr)", file: file, line: line) }
        XCTAssertTrue(run.stdout.isEmpty, "nothing on stdout", file: file, line: line)
        return run
    }

    func testSlideMissingFromThePack() throws {
        var document = data.document
        document.slides.append(SlideRecord(slideID: "ghost", caseID: "ghost", label: "a1", instances: 5))
        document.folds[0].train.append("ghost")
        try h.save(document, as: "missing.json")
        try assertError(document: "missing.json", contains: ["slide is not in any pack", "ghost"])
    }

    func testDocumentFeatureDimOtherThanThePack() throws {
        var document = data.document
        document.packs![0].featureDim = 8
        try h.save(document, as: "dim.json")
        try assertError(document: "dim.json", contains: ["feature dim 16", "document says 8", "bags.hbag"])
    }

    func testInstanceCountOtherThanThePack() throws {
        var document = data.document
        document.slides[0].instances = 7
        try h.save(document, as: "count.json")
        try assertError(document: "count.json", contains: ["document says 7 instances", document.slides[0].slideID])
    }

    func testFoldWithAnEmptyTrainingPart() throws {
        var document = data.document
        document.folds[0].train = []
        try h.save(document, as: "empty.json")
        try assertError(document: "empty.json", contains: ["fold 0 has an empty training part"])
    }

    func testClassAbsentFromTraining() throws {
        var document = data.document
        let b2 = document.slides.filter { $0.label == "b2" }.map(\.slideID)
        document.folds[0].train.removeAll { b2.contains($0) }
        try h.save(document, as: "absent.json")
        try assertError(document: "absent.json", contains: ["fine class 'b2' is absent from the training part of fold 0"])
    }

    func testUnknownConfigKey() throws {
        try Data(#"{"epochs": 2, "batch_sise": 4}"#.utf8).write(to: h.folder.appendingPathComponent("c.json"))
        try assertError(["--config", h.path("c.json")], contains: ["unknown config key 'batch_sise'", "c.json", "batch_size"])
    }

    func testConfigValueOfTheWrongType() throws {
        try Data(#"{"epochs": "many"}"#.utf8).write(to: h.folder.appendingPathComponent("c.json"))
        try assertError(["--config", h.path("c.json")], contains: ["c.json"])
    }

    func testInitCheckpointOfAnotherShape() throws {
        var generator = SeededGenerator(seed: 1)
        let other = HMILModel(options: HMILOptions(featureDim: 8, coarseClasses: 2, fineClasses: 4), generator: &generator)
        try Checkpoint.save(other, metadata: CheckpointMetadata(), to: h.path("other.safetensors"))
        try assertError(
            ["--init", h.path("other.safetensors")],
            contains: ["checkpoint does not match", "feature_extractor.0.weight", "[256, 8]", "other.safetensors"])
    }

    func testInitCheckpointOfAnotherModel() throws {
        var generator = SeededGenerator(seed: 1)
        let other = ABMILModel(options: ABMILOptions(featureDim: 16, classes: 4), generator: &generator)
        try Checkpoint.save(other, metadata: CheckpointMetadata(), to: h.path("abmil.safetensors"))
        try assertError(["--init", h.path("abmil.safetensors")], contains: ["checkpoint does not match", "missing tensor"])
    }

    /// A bag with one instance near Float.greatestFiniteMagnitude overflows the forward pass to a NaN
    /// loss. With --max-instances the bag trains on a random subset each epoch; the seed is chosen so
    /// that epoch 0 leaves the instance out and epoch 1 draws it: the run stops in epoch 1 naming the
    /// epoch and batch, and epoch 0's checkpoint stays.
    func testNaNLossStopsNamingEpochAndBatchAndKeepsTheLastGoodCheckpoint() throws {
        var generator = SeededGenerator(seed: 2)
        var bags = data.bags
        var labels = data.labels
        var poisoned = TrainHarness.plantedBag(
            "poisoned", label: 0, instances: 20, planted: 2, featureDim: 16,
            directions: TrainHarness.directions(classes: 4, featureDim: 16, generator: &generator),
            generator: &generator)
        for d in 0..<16 { poisoned.features[d] = 3e38 }
        bags.append(poisoned)
        labels.append(0)
        var document = data.document
        let train = [poisoned.slideID] + document.folds[0].train
        document = try h.writeDataset(
            bags: bags, labels: labels,
            folds: [FoldRecord(fold: 0, train: train, val: document.folds[0].val, test: [])],
            pack: "poisoned.hbag", name: "poisoned.json")

        var options = TrainingOptions()
        options.maxInstances = 10
        let seed = try XCTUnwrap(
            (UInt64(1)...500).first { seed in
                options.seed = seed
                let e0 = EpochPlan.instanceSubset(instanceCount: 20, options: options, fold: 0, epoch: 0, bag: 0)!
                let e1 = EpochPlan.instanceSubset(instanceCount: 20, options: options, fold: 0, epoch: 1, bag: 0)!
                return !e0.contains(0) && e1.contains(0)
            })
        let run = try assertError(
            document: "poisoned.json", ["--max-instances", "10", "--seed", "\(seed)", "--epochs", "3", "--no-shuffle"],
            contains: ["at epoch 1, batch 0", "fold 0", "last good checkpoint", h.path("work/fold_0")])
        XCTAssertTrue(
            run.stderr.contains("loss is -nan") || run.stderr.contains("loss is nan") || run.stderr.contains("gradient norm is"), run.stderr
        )
        let best = try Checkpoint.load(path: h.path("work/fold_0/best.safetensors"))
        XCTAssertEqual(best.metadata.epoch, 0)
        for p in best.model.parameters.parameters { XCTAssertTrue(p.value.allSatisfy(\.isFinite), p.name) }
        let state = try XCTUnwrap(TrainingState.load(from: h.path("work/fold_0")))
        XCTAssertEqual(state.completedEpochs, 1)
        XCTAssertEqual(try h.history("work").count, 1)
    }

    func testBadFlagValues() throws {
        try assertError(["--fold", "3"], contains: ["no fold 3 in the plan"])
        try assertError(["--lr-factor", "2"], contains: ["--lr-factor must be between 0 and 1"])
        try assertError(["--weight-contrastive=-1"], contains: ["--weight-contrastive must be a finite number ≥ 0"])
        try assertError(["--weight-bag", "nan"], contains: ["--weight-bag must be a finite number ≥ 0"])
        try assertError(["--sibling-smoothing", "1"], contains: ["--sibling-smoothing must be in [0, 1)"])
    }

    func testSplitPlanInsteadOfADataset() throws {
        var document = data.document
        document.format = PipelineDocument.splitFormat
        document.packs = nil
        try h.save(document, as: "plan.json")
        try assertError(document: "plan.json", contains: ["hmil-pack"])
    }
}
