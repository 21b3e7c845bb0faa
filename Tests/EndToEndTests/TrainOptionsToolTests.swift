import Foundation
import Shared
import TestSupport
import XCTest

/// hmil-train's options: each is a flag and a --config key, flags win over the file key by key, the
/// named ones list their values in --help and refuse others in one line, and the file's bad values are
/// refused in one line naming the file.
final class TrainOptionsToolTests: XCTestCase {
    var h: TrainHarness!

    override func setUpWithError() throws { h = try TrainHarness("options") }
    override func tearDownWithError() throws { h.remove() }

    func testHelpNamesEveryConfigKeyAndListsTheValues() throws {
        let run = try BuiltTool.run("hmil-train", ["--help"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let help = run.output.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(
            of: #"\s+"#, with: " ", options: .regularExpression)
        for key in TrainingOptions.configKeys {
            XCTAssertTrue(help.contains("--" + key.replacingOccurrences(of: "_", with: "-")), "--\(key) in --help")
        }
        for values in [
            "(values: hmil, reference)", "(values: hmil, abmil)", "(values: shared, per-class)",
            "(values: released, shared)", "(values: adam, sgd)",
            "(values: val_fine_auc, val_fine_accuracy, val_coarse_auc, val_loss, last)",
            "(values: nll, reference)", "(values: quadratic, linear)",
            "(values: none, fixed, learned, detached)", "(values: none, coarse, coarse-detached)"
        ] {
            XCTAssertTrue(help.contains(values), "\(values) in --help")
        }
        // Defaults are read from TrainingOptions.
        XCTAssertTrue(help.contains("Epochs. (default: \(TrainingOptions().epochs))"), help)
        XCTAssertTrue(help.contains("Learning rate. (default: 0.0001)"), help)
    }

    func testBadNamedValueIsTheOneLineUsageError() throws {
        for (flag, value, message) in [
            ("--optimizer", "lbfgs", "Please provide one of 'adam' and 'sgd'."),
            ("--selection-metric", "auc", "val_fine_auc"), ("--model", "clam", "'hmil' and 'abmil'"),
            ("--fold", "x", "'--fold <fold>'")
        ] {
            let run = try BuiltTool.run("hmil-train", ["--out", h.path("work"), flag, value])
            XCTAssertEqual(run.status, ToolError.failureExitCode, run.stderr)
            XCTAssertEqual(run.errorLines.count, 1, run.stderr)
            XCTAssertTrue(run.stderr.hasPrefix("hmil-train: error: The value '\(value)' is invalid for '\(flag) <"), run.stderr)
            XCTAssertTrue(run.stderr.contains(message), run.stderr)
            XCTAssertTrue(run.stderr.hasSuffix(" — see hmil-train --help\n"), run.stderr)
        }
    }

    func testBadNamedValueInTheConfigNamesTheKeyAndTheFile() throws {
        _ = try h.plantedDataset(perClass: 2, valPerClass: 1)
        try Data(#"{"epochs": 2, "optimizer": "lbfgs"}"#.utf8).write(to: h.folder.appendingPathComponent("c.json"))
        let run = try h.train(h.path("dataset.json"), out: "work", ["--config", h.path("c.json")])
        XCTAssertEqual(run.status, ToolError.failureExitCode, run.stderr)
        XCTAssertEqual(
            run.stderr, "hmil-train: error: bad value at 'optimizer': unknown value 'lbfgs'; use adam or sgd (\(h.path("c.json")))\n")
    }

    /// A config file sets every key one way and the flags every key another: the run records the flags'.
    func testEveryFlagWinsOverTheConfigFile() throws {
        _ = try h.plantedDataset(perClass: 2, valPerClass: 1)
        let config = """
            {"preset": "hmil", "model": "abmil", "scorer": "shared", "embedding": "released", "dropout": false,
             "coarse_gate": "none", "fine_prior": "none", "fine_prior_weight": 1, "epochs": 3, "batch_size": 8,
             "optimizer": "adam", "lr": 0.01, "weight_decay": 0, "momentum": 0.5, "clip_grad_norm": 0, "lr_factor": 0.1,
             "lr_patience": 5, "seed": 1, "shuffle": false, "balanced_sampling": false, "max_instances": 0,
             "early_stopping_patience": 0, "selection_metric": "val_loss", "weight_attention": 1, "bag_alignment": "nll",
             "curriculum": "quadratic", "weight_contrastive": 1, "weight_coarse": 1, "weight_bag": 1,
             "sibling_smoothing": 0, "threads": 2}
            """
        try Data(config.utf8).write(to: h.folder.appendingPathComponent("c.json"))
        let flags = [
            "--preset", "reference", "--model", "hmil", "--scorer", "per-class", "--embedding", "shared", "--dropout",
            "--coarse-gate", "learned", "--fine-prior", "coarse", "--fine-prior-weight", "0.5", "--epochs", "1",
            "--batch-size", "4", "--optimizer", "sgd", "--lr", "0.002", "--weight-decay", "1e-05", "--momentum", "0.8",
            "--clip-grad-norm", "2", "--lr-factor", "0.5", "--lr-patience", "2", "--seed", "9", "--shuffle",
            "--balanced-sampling", "--max-instances", "20", "--early-stopping-patience", "3",
            "--selection-metric", "last", "--weight-attention", "0.25", "--bag-alignment", "reference",
            "--curriculum", "linear", "--weight-contrastive", "0", "--weight-coarse", "0.5", "--weight-bag", "2",
            "--sibling-smoothing", "0.1", "--threads", "1"
        ]
        let run = try h.train(h.path("dataset.json"), out: "work", ["--config", h.path("c.json")] + flags)
        XCTAssertEqual(run.status, 0, run.stderr)
        let (_, metadata) = try Checkpoint.load(path: h.path("work/fold_0/best.safetensors"))
        let recorded = try DocumentIO.decode(TrainingOptions.self, from: Data((metadata.trainingConfig ?? "").utf8), source: "config")
        var expected = TrainingOptions()
        expected.preset = .reference
        expected.model = .hmil
        expected.scorer = .perClass
        expected.embedding = .shared
        expected.dropout = true
        expected.coarseGate = .learned
        expected.finePrior = .coarse
        expected.finePriorWeight = 0.5
        expected.epochs = 1
        expected.batchSize = 4
        expected.optimizer = .sgd
        expected.lr = 0.002
        expected.weightDecay = 1e-5
        expected.momentum = 0.8
        expected.clipGradNorm = 2
        expected.lrFactor = 0.5
        expected.lrPatience = 2
        expected.seed = 9
        expected.shuffle = true
        expected.balancedSampling = true
        expected.maxInstances = 20
        expected.earlyStoppingPatience = 3
        expected.selectionMetric = .last
        expected.weightAttention = 0.25
        expected.bagAlignment = .reference
        expected.curriculum = .linear
        expected.weightContrastive = 0
        expected.weightCoarse = 0.5
        expected.weightBag = 2
        expected.siblingSmoothing = 0.1
        expected.threads = 1
        XCTAssertEqual(recorded, expected)
        // Every key was set two ways, so a flag that did not reach its key would show above.
        let keys = (try JSONSerialization.jsonObject(with: Data(config.utf8)) as! [String: Any]).keys
        XCTAssertEqual(Set(keys), Set(TrainingOptions.configKeys))
    }

    /// --no-X turns off what the file turned on.
    func testInvertedFlagWinsOverTheConfigFile() throws {
        _ = try h.plantedDataset(perClass: 2, valPerClass: 1)
        try Data(#"{"epochs": 1, "batch_size": 4, "threads": 1, "dropout": true, "balanced_sampling": true}"#.utf8)
            .write(to: h.folder.appendingPathComponent("c.json"))
        let run = try h.train(h.path("dataset.json"), out: "work", ["--config", h.path("c.json"), "--no-dropout", "--no-shuffle"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let (_, metadata) = try Checkpoint.load(path: h.path("work/fold_0/best.safetensors"))
        let recorded = try DocumentIO.decode(TrainingOptions.self, from: Data((metadata.trainingConfig ?? "").utf8), source: "config")
        XCTAssertEqual(recorded.dropout, false)
        XCTAssertEqual(recorded.shuffle, false)
        XCTAssertEqual(recorded.balancedSampling, true)
    }
}
