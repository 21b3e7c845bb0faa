import Foundation
import Shared
import XCTest

/// The trainer's small parts: config files, the epoch plan, history and state.
final class TrainingOptionsTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("hmil-options-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func write(_ text: String) throws -> String {
        let url = folder.appendingPathComponent("c.json")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func testConfigKeysOverTheDefaults() throws {
        let path = try write(
            #"{"epochs": 3, "lr": 0.002, "shuffle": false, "dropout": true, "seed": 9, "weight_attention": 0.5, "curriculum": "linear"}"#)
        let options = try TrainingOptions.load(configFile: path)
        var expected = TrainingOptions()
        expected.epochs = 3
        expected.lr = 0.002
        expected.shuffle = false
        expected.dropout = true
        expected.seed = 9
        expected.weightAttention = 0.5
        expected.curriculum = .linear
        XCTAssertEqual(options, expected)
    }

    func testEmptyConfigIsTheDefaults() throws {
        XCTAssertEqual(try TrainingOptions.load(configFile: try write("{}")), TrainingOptions())
    }

    func testEveryOptionIsAConfigKey() throws {
        // Encoding the options with every optional set names each key once: a field without a key
        // could not be set from a file.
        var options = TrainingOptions()
        options.weightAttention = 1
        options.bagAlignment = .nll
        options.curriculum = .quadratic
        options.weightContrastive = 0
        options.weightCoarse = 0.5
        options.weightBag = 2
        options.siblingSmoothing = 0.2
        options.coarseGate = .learned
        options.finePrior = .coarseDetached
        options.finePriorWeight = 0.5
        options.scorer = .perClass
        options.embedding = .shared
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(options)) as! [String: Any]
        XCTAssertEqual(Set(object.keys), Set(TrainingOptions.configKeys))
        XCTAssertEqual(
            try TrainingOptions.load(configFile: try write(String(decoding: JSONEncoder().encode(options), as: UTF8.self))),
            options)
    }

    /// The model variants: config values as the flags spell them; unset, the options JSON (checkpoint
    /// metadata, resume check) has no key for them; an unknown value is an error naming the key.
    func testModelVariantKeys() throws {
        let options = try TrainingOptions.load(
            configFile: try write(#"{"coarse_gate": "detached", "fine_prior": "coarse-detached", "fine_prior_weight": 2}"#))
        XCTAssertEqual(options.coarseGate, .detached)
        XCTAssertEqual(options.finePrior, .coarseDetached)
        XCTAssertEqual(options.finePriorWeight, 2)
        let text = String(decoding: try JSONEncoder().encode(TrainingOptions()), as: UTF8.self)
        XCTAssertFalse(text.contains("coarse_gate") || text.contains("fine_prior"), text)
        XCTAssertThrowsError(try TrainingOptions.load(configFile: try write(#"{"coarse_gate": "soft"}"#))) { error in
            XCTAssertTrue("\(error)".contains("coarse_gate"), "\(error)")
        }
    }

    /// A value outside a named option's set is an error naming the key, the file and the values allowed.
    func testUnknownNamedValueNamesTheKeyTheFileAndTheValues() throws {
        let cases = [
            ("preset", "paper", "use hmil or reference"), ("model", "clam", "use hmil or abmil"),
            ("scorer", "per_class", "use shared or per-class"), ("embedding", "own", "use released or shared"),
            ("optimizer", "rmsprop", "use adam or sgd"),
            ("selection_metric", "auc", "use val_fine_auc, val_fine_accuracy, val_coarse_auc, val_loss or last"),
            ("bag_alignment", "kl", "use nll or reference"), ("curriculum", "cubic", "use quadratic or linear")
        ]
        for (key, value, hint) in cases {
            let path = try write("{\"\(key)\": \"\(value)\"}")
            XCTAssertThrowsError(try TrainingOptions.load(configFile: path)) { error in
                XCTAssertEqual("\(error)", "bad value at '\(key)': unknown value '\(value)'; \(hint) (\(path))")
            }
        }
    }

    /// Flags over the file over the defaults, key by key.
    func testOverridesWinOverTheFileAndTheFileOverTheDefaults() throws {
        let path = try write(#"{"epochs": 3, "optimizer": "sgd", "lr": 0.5}"#)
        let options = try TrainingOptions.resolve(configFile: path, overrides: ["lr": 0.25, "selection_metric": "last", "shuffle": false])
        var expected = TrainingOptions()
        expected.epochs = 3
        expected.optimizer = .sgd
        expected.lr = 0.25
        expected.selectionMetric = .last
        expected.shuffle = false
        XCTAssertEqual(options, expected)
        XCTAssertEqual(try TrainingOptions.resolve(configFile: nil, overrides: ["model": "abmil"]).model, .abmil)
        XCTAssertEqual(try TrainingOptions.resolve(configFile: nil, overrides: [:]), TrainingOptions())
    }

    func testUnknownKeyNamesTheKeyAndTheKnownOnes() throws {
        XCTAssertThrowsError(try TrainingOptions.load(configFile: try write(#"{"epoch": 3}"#))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("unknown config key 'epoch'"), text)
            XCTAssertTrue(text.contains("epochs, batch_size"), text)
        }
    }

    func testNotAnObjectAndWrongTypesAreErrors() throws {
        XCTAssertThrowsError(try TrainingOptions.load(configFile: try write("[1, 2]")))
        XCTAssertThrowsError(try TrainingOptions.load(configFile: try write(#"{"epochs": "ten"}"#)))
        XCTAssertThrowsError(try TrainingOptions.load(configFile: try write(#"{"epochs": 2.5}"#)))
        XCTAssertThrowsError(try TrainingOptions.load(configFile: try write("{")))
    }

    func testValidateRejectsBadValues() {
        func rejects(_ change: (inout TrainingOptions) -> Void, file: StaticString = #filePath, line: UInt = #line) {
            var o = TrainingOptions()
            change(&o)
            XCTAssertThrowsError(try o.validate(), file: file, line: line)
        }
        XCTAssertNoThrow(try TrainingOptions().validate())
        rejects { $0.epochs = 0 }
        rejects { $0.batchSize = 0 }
        rejects { $0.lr = 0 }
        rejects { $0.lr = .nan }
        rejects { $0.weightDecay = -1 }
        rejects { $0.maxInstances = -1 }
        rejects { $0.lrFactor = 1 }
        rejects { $0.lrFactor = 2 }
        rejects { $0.lrPatience = -1 }
        rejects { $0.momentum = -0.5 }
        rejects { $0.clipGradNorm = -1 }
        rejects { $0.earlyStoppingPatience = -1 }
        for bad in [-1, Double.nan, .infinity] {
            rejects { $0.weightAttention = bad }
            rejects { $0.weightContrastive = bad }
            rejects { $0.weightCoarse = bad }
            rejects { $0.weightBag = bad }
            rejects { $0.siblingSmoothing = bad }
        }
        rejects { $0.siblingSmoothing = 1 }
        rejects {
            $0.model = .abmil
            $0.coarseGate = .fixed
        }
        rejects {
            $0.model = .abmil
            $0.finePrior = .coarse
        }
        rejects { $0.finePriorWeight = -1 }
        rejects { $0.finePriorWeight = .infinity }
        var zero = TrainingOptions()
        zero.weightContrastive = 0
        zero.weightCoarse = 0
        zero.weightBag = 0
        zero.siblingSmoothing = 0
        XCTAssertNoThrow(try zero.validate())
    }

    func testObjectiveIsThePresetWithTheOverrides() throws {
        let path = try write(
            #"{"preset": "reference", "weight_contrastive": 0, "weight_coarse": 0.5, "weight_bag": 2, "sibling_smoothing": 0.2}"#)
        let options = try TrainingOptions.load(configFile: path)
        var expected = ObjectiveConfig.reference
        expected.contrastiveWeight = 0
        expected.coarseWeight = 0.5
        expected.bagAlignmentWeight = 2
        expected.siblingSmoothing = 0.2
        XCTAssertEqual(options.objectiveConfig, expected)
        // Unset, the hmil preset is the paper's objective with sibling smoothing 0.2, on per-class scorers
        // and the shared embedding; reference is the release's objective and architecture.
        var hmil = ObjectiveConfig.hmil
        hmil.siblingSmoothing = 0.2
        XCTAssertEqual(TrainingOptions().objectiveConfig, hmil, "nil overrides keep the preset")
        XCTAssertEqual(TrainingOptions().effectiveScorer, .perClass)
        XCTAssertEqual(TrainingOptions().effectiveEmbedding, .shared)
        var reference = TrainingOptions()
        reference.preset = .reference
        XCTAssertEqual(reference.objectiveConfig, .reference)
        XCTAssertEqual(reference.effectiveScorer, .shared)
        XCTAssertEqual(reference.effectiveEmbedding, .released)
        reference.scorer = .perClass
        XCTAssertEqual(reference.effectiveScorer, .perClass, "the option wins over the preset")
        // ABMIL: the flat objective, smoothed too.
        var abmil = TrainingOptions()
        abmil.model = .abmil
        abmil.siblingSmoothing = 0.3
        XCTAssertEqual(abmil.objectiveConfig.kind, .flat)
        XCTAssertEqual(abmil.objectiveConfig.siblingSmoothing, 0.3)
        abmil.siblingSmoothing = nil
        XCTAssertEqual(abmil.objectiveConfig.siblingSmoothing, 0, "ABMIL is smoothed only when asked")
    }
}

final class EpochPlanTests: XCTestCase {
    let labels = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 2]

    func testEveryBagOncePerEpochInBatchesOfTheSize() {
        var options = TrainingOptions()
        options.batchSize = 5
        let plan = EpochPlan(labels: labels, options: options, fold: 0, epoch: 3)
        XCTAssertEqual(plan.batches.map(\.count), [5, 5, 2])
        XCTAssertEqual(plan.batches.flatMap { $0 }.sorted(), Array(0..<12))
    }

    func testOrderDependsOnSeedFoldAndEpochOnly() {
        var options = TrainingOptions()
        options.batchSize = 4
        let a = EpochPlan(labels: labels, options: options, fold: 0, epoch: 1).batches
        XCTAssertEqual(a, EpochPlan(labels: labels, options: options, fold: 0, epoch: 1).batches)
        XCTAssertNotEqual(a, EpochPlan(labels: labels, options: options, fold: 0, epoch: 2).batches)
        XCTAssertNotEqual(a, EpochPlan(labels: labels, options: options, fold: 1, epoch: 1).batches)
        options.seed = 2
        XCTAssertNotEqual(a, EpochPlan(labels: labels, options: options, fold: 0, epoch: 1).batches)
    }

    func testNoShuffleKeepsPlanOrder() {
        var options = TrainingOptions()
        options.shuffle = false
        options.batchSize = 64
        XCTAssertEqual(EpochPlan(labels: labels, options: options, fold: 0, epoch: 5).batches, [Array(0..<12)])
    }

    func testBalancedSamplingDrawsClassesEquallyOften() {
        var options = TrainingOptions()
        options.balancedSampling = true
        options.batchSize = 12
        var counts = [0, 0, 0]
        for epoch in 0..<500 {
            let plan = EpochPlan(labels: labels, options: options, fold: 0, epoch: epoch)
            XCTAssertEqual(plan.batches.flatMap { $0 }.count, labels.count)
            for i in plan.batches.flatMap({ $0 }) { counts[labels[i]] += 1 }
        }
        // 6000 draws, 1/3 each: a standard deviation of about 37.
        for c in counts { XCTAssertEqual(Double(c), 2000, accuracy: 200, "\(counts)") }
    }

    func testInstanceSubsetsAreSortedDistinctAndSeeded() {
        var options = TrainingOptions()
        XCTAssertNil(EpochPlan.instanceSubset(instanceCount: 100, options: options, fold: 0, epoch: 0, bag: 0))
        options.maxInstances = 30
        XCTAssertNil(EpochPlan.instanceSubset(instanceCount: 30, options: options, fold: 0, epoch: 0, bag: 0))
        let subset = EpochPlan.instanceSubset(instanceCount: 100, options: options, fold: 0, epoch: 0, bag: 4)!
        XCTAssertEqual(subset.count, 30)
        XCTAssertEqual(subset, Array(Set(subset)).sorted())
        XCTAssertTrue(subset.allSatisfy { (0..<100).contains($0) })
        XCTAssertEqual(subset, EpochPlan.instanceSubset(instanceCount: 100, options: options, fold: 0, epoch: 0, bag: 4))
        XCTAssertNotEqual(subset, EpochPlan.instanceSubset(instanceCount: 100, options: options, fold: 0, epoch: 1, bag: 4))
        XCTAssertNotEqual(subset, EpochPlan.instanceSubset(instanceCount: 100, options: options, fold: 0, epoch: 0, bag: 5))
        // Every instance is drawn about equally often.
        var hits = [Int](repeating: 0, count: 100)
        for epoch in 0..<400 {
            for i in EpochPlan.instanceSubset(instanceCount: 100, options: options, fold: 0, epoch: epoch, bag: 0)! { hits[i] += 1 }
        }
        XCTAssertGreaterThan(hits.min()!, 80)  // expected 120 each
        XCTAssertLessThan(hits.max()!, 160)
    }
}

final class TrainingRecordsTests: XCTestCase {
    func testHistoryCSVColumnsAndNonFiniteValues() {
        let records = [
            EpochRecord(
                epoch: 0, lr: 1e-4, alpha: 1, tau: 1, train: ["total": 2, "fine": 1], val: ["fine_auc": 0.5],
                seconds: 1.5),
            EpochRecord(epoch: 1, lr: 1e-5, alpha: 0.75, tau: 0.1, train: ["total": .nan, "fine": 1], val: [:], seconds: 2)
        ]
        XCTAssertEqual(
            TrainingHistory.csv(records),
            """
            epoch,lr,alpha,tau,seconds,train_fine,train_total,val_fine_auc
            0,0.0001,1.0,1.0,1.5,1.0,2.0,0.5
            1,1e-05,0.75,0.1,2.0,1.0,nan,

            """)
    }

    func testStateRoundTripsAndOtherFormatsAreRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hmil-state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        XCTAssertNil(try TrainingState.load(from: folder))
        let state = TrainingState(
            fold: 2, completedEpochs: 3, bestEpoch: 1, bestValue: 0.75, staleEpochs: 1,
            scheduler: ReduceLROnPlateau(mode: .min, factor: 0.1, patience: 5).state,
            history: [EpochRecord(epoch: 0, lr: 1, alpha: 1, tau: 1, train: [:], val: [:], seconds: 0)],
            finished: false, options: "{}")
        try state.save(in: folder)
        XCTAssertEqual(try TrainingState.load(from: folder), state)
        var other = state
        other.format = "hmil.train-state/9"
        try other.save(in: folder)
        XCTAssertThrowsError(try TrainingState.load(from: folder))
    }
}
