import Foundation
import Shared

/// One run on one seed of a study: `<work>/seed_<s>/runs/<run>/eval.json` (hmil.eval/1, as
/// pipelines/Makefile makes it) read into one FoldResult per evaluated fold, with the plan it came from
/// so that runs of a seed can be checked to share their folds, and the run's `train.options` beside it.
struct RunSeedResults {
    let path: String
    let splitSeed: UInt64?
    /// The folds' train/val/test slides, as the split made them.
    let plan: [FoldRecord]
    let folds: [Int: FoldResult]
    /// The flags the Makefile trained with (train.options), when that file is there.
    let trainOptions: String?

    init(work: String, seed: UInt64, run: String) throws {
        let folder = "\(work)/seed_\(seed)/runs/\(run)"
        path = folder + "/eval.json"
        guard FileManager.default.fileExists(atPath: path) else {
            throw ToolError(
                "no eval.json of run '\(run)' for seed \(seed)", at: path,
                hint: "make the study's runs first (make -C pipelines study), or check --runs and --seeds")
        }
        let data = try DocumentIO.readInput(path, what: "metrics document")
        let document = try DocumentIO.decode(PipelineDocument.self, from: data, source: path)
        try document.require(PipelineDocument.evalFormat, source: path, producer: "hmil-eval")
        guard let evaluation = document.evaluation, evaluation.source == "checkpoints" else {
            throw ToolError(
                "no evaluation of trained checkpoints in the document", at: path,
                hint: "give the eval.json hmil-eval wrote for the run's models")
        }
        let attention = try DocumentIO.decode(InstanceAttentionOverlay.self, from: data, source: path)
        let attentionByFold = Dictionary((attention.evaluation?.folds ?? []).map { ($0.fold, $0) }, uniquingKeysWith: { a, _ in a })
        let cpuByFold = Dictionary((document.models ?? []).map { ($0.fold, $0.cpuSeconds) }, uniquingKeysWith: { a, _ in a })

        var folds: [Int: FoldResult] = [:]
        for fold in evaluation.folds {
            guard let test = fold.parts[.test] else {
                throw ToolError(
                    "fold \(fold.fold) has no test part", at: path, hint: "evaluate with --parts test (the default includes it)")
            }
            var levels: [EvaluationLevel: [ScalarMetric: Double?]] = [:]
            for (level, report) in test.levels {
                levels[level] = report.metrics.mapValues(\.value)
            }
            var instanceAttention: [String: [String: Double?]] = [:]
            if let part = attentionByFold[fold.fold]?.parts["test"], let byLevel = part.instanceAttention {
                for (name, level) in [("fine", byLevel.fine), ("coarse", byLevel.coarse)] {
                    if let level { instanceAttention[name] = ["pooled_auc": level.pooledAUC, "bag_mean_auc": level.bagMeanAUC] }
                }
            }
            folds[fold.fold] = FoldResult(
                levels: levels, instanceAttention: instanceAttention,
                cpuSeconds: cpuByFold[fold.fold] ?? nil)
        }
        self.folds = folds
        splitSeed = document.seed
        plan = document.folds.filter { folds[$0.fold] != nil }
        let optionsPath = folder + "/train.options"
        trainOptions = (try? String(contentsOfFile: optionsPath, encoding: .utf8))?
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}

/// The instance-attention AUCs of `hmil-eval --instance-labels`, read on their own so that a study
/// reads eval.json written with or without them:
/// `evaluation.folds[k].parts.<part>.instance_attention.{fine,coarse}.{pooled_auc,bag_mean_auc}`.
struct InstanceAttentionOverlay: Decodable {
    struct Evaluation: Decodable { var folds: [Fold] }
    struct Fold: Decodable {
        var fold: Int
        var parts: [String: Part]
    }
    struct Part: Decodable {
        var instanceAttention: Levels?
        enum CodingKeys: String, CodingKey { case instanceAttention = "instance_attention" }
        init(from decoder: Decoder) throws {
            instanceAttention = try? decoder.container(keyedBy: CodingKeys.self).decode(Levels.self, forKey: .instanceAttention)
        }
    }
    struct Levels: Decodable {
        var fine: Level?
        var coarse: Level?
        enum CodingKeys: String, CodingKey { case fine, coarse }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            fine = try? c.decode(Level.self, forKey: .fine)
            coarse = try? c.decode(Level.self, forKey: .coarse)
        }
    }
    /// A value that is not a number (null: no bag with key instances) reads as nil.
    struct Level: Decodable {
        var pooledAUC: Double?
        var bagMeanAUC: Double?
        enum CodingKeys: String, CodingKey {
            case pooledAUC = "pooled_auc"
            case bagMeanAUC = "bag_mean_auc"
        }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            pooledAUC = try? c.decode(Double.self, forKey: .pooledAUC)
            bagMeanAUC = try? c.decode(Double.self, forKey: .bagMeanAUC)
        }
    }
    var evaluation: Evaluation?
}
