/// hmil-eval's part of the pipeline document (`hmil.eval/1`, DESIGN §2.7, §5), under `"evaluation"`:
///
/// ```json
/// "evaluation": {
///   "source": "checkpoints" | "predictions",   "inputs": ["fold_0.csv", ...],
///   "hierarchy_beta": 1.0,                     // with --hierarchy-beta
///   "instance_labels": "key.csv",              // with --instance-labels
///   "bootstrap": {"resamples": 1000, "seed": 1, "confidence": 0.95, "method": "percentile"},
///   "folds": [{"fold": 0, "parts": {"test": {
///       "slides": 54,
///       "levels": {"coarse" | "coarse_from_fine" | "fine" | "fine_hierarchical": {
///           "classes": [...], "slides": 54,
///           "metrics": {"accuracy": {"value": 0.81, "ci95": [0.70, 0.91], "bootstrap_skipped": 0}, ...,
///                       "auc_macro": {"value": null, "undefined": "only class 'IC' occurs in the labels"}},
///           "auc_classes_left_out": ["FEA"],
///           "per_class": [{"class": "N", "support": 6, "predicted": 5, "precision": .., "recall": ..,
///                          "f1": .., "specificity": .., "auc": ..}],
///           "confusion_matrix": [[5, 1], [0, 3]]}},           // rows true class, columns predicted
///       "hierarchy_consistency": {"coarse": {...}, "coarse_from_fine": {...}},
///       "instance_attention": {"fine" | "coarse": {                  // with --instance-labels
///           "pooled_auc": 0.91, "bag_mean_auc": 0.88, "bags": 40, "bags_without_positives": 12,
///           "bags_without_negatives": 0, "bags_without_labels": 2, "instances": 2480, "positives": 310}}}}}],
///   "summary": {"test": {"levels": {"fine": {"metrics": {"accuracy": {"mean": .., "std": .., "sem": ..,
///       "folds": 10, "undefined_folds": []}}, "per_class": {"N": {"f1": {...}}}}},
///       "hierarchy_consistency": {...},
///       "instance_attention": {"fine": {"pooled_auc": {"mean": .., "std": .., "sem": .., "folds": 10, "undefined_folds": []},
///           "bag_mean_auc": {...}, "all_folds": {"pooled_auc": .., "bag_mean_auc": .., "bags": 400, ...}}}}},
///   "external": {"dataset": "new.json", "slides": 40, "labelled": 32, "folds": [0, 1, 2],
///       "combination": "mean", "labelled_slides": {"slides": 32, "levels": {...}, ...}}   // with --dataset
/// }
/// ```
/// Levels: `coarse` (the coarse head), `coarse_from_fine` (arg-max of q, the fine probabilities summed
/// into their parents), `fine`, and with `--hierarchy-beta β` (models with a coarse head)
/// `fine_hierarchical`: p(f) ∝ p_fine(f)·p_coarse(π(f))^β (`HierarchicalDecision`). Parts: `test`, `val`.
/// Hierarchy consistency is the share of bags whose fine prediction's parent is the coarse prediction
/// (of the coarse head, or of q).
/// An undefined metric is `null` with its reason under `undefined`; never a number.
///
/// `instance_attention` (with `--instance-labels`, model path only) scores attention against known key
/// instances: per attention level (`fine`: the row of the bag's true fine class, ABMIL's one row;
/// `coarse`: the row of its true coarse class, HMIL only) the instance-level ROC AUC of key against
/// other instances, pooled over the part's bags with each bag's attention multiplied by its instance
/// count N (so 1 is uniform attention in every bag; unscaled, bag size would decide the pooled ranking),
/// and the mean of the per-bag AUCs. Bags without key instances, with key instances only, or without
/// rows in the labels file are left out and counted; an AUC is null when no bag is left.
/// `summary.<part>.instance_attention.<level>` holds the mean/std/sem of the folds' AUCs and, under
/// `all_folds`, the AUCs of every fold's bags pooled into one set (each scored by its own fold's model).
public struct EvaluationReport: Codable, Equatable, Sendable {
    /// "checkpoints" (each fold's model on its parts) or "predictions" (CSV files scored with `--predictions`).
    public var source: String
    /// The prediction files scored, in fold order (predictions source only).
    public var inputs: [String]?
    /// β of the `fine_hierarchical` level (`--hierarchy-beta`).
    public var hierarchyBeta: Double?
    /// The instance labels file the attention was scored against (`--instance-labels`).
    public var instanceLabels: String?
    public var bootstrap: BootstrapSettings
    public var folds: [FoldReport]
    public var summary: [EvaluationPart: PartSummary]
    /// Slides outside the training plan (`--dataset`), predicted by every fold's model.
    public var external: ExternalReport?

    public init(
        source: String, inputs: [String]?, bootstrap: BootstrapSettings, folds: [FoldReport],
        summary: [EvaluationPart: PartSummary], external: ExternalReport? = nil
    ) {
        self.source = source
        self.inputs = inputs
        self.bootstrap = bootstrap
        self.folds = folds
        self.summary = summary
        self.external = external
    }

    enum CodingKeys: String, CodingKey {
        case source, inputs
        case hierarchyBeta = "hierarchy_beta"
        case instanceLabels = "instance_labels"
        case bootstrap, folds, summary, external
    }
}

/// External data (`hmil-eval --dataset D.json`): slides that were not in the training plan, each
/// predicted by every fold's model, the probabilities averaged over the folds. Metrics are computed
/// on the labelled slides only (`labelled_slides`, null when none is labelled).
public struct ExternalReport: Codable, Equatable, Sendable {
    /// The dataset document's path.
    public var dataset: String
    public var slides: Int
    public var labelled: Int
    /// The folds whose models were averaged.
    public var folds: [Int]
    /// How the folds' probabilities were combined: "mean" (arithmetic mean per class).
    public var combination: String
    public var labelledSlides: PartReport?

    public init(
        dataset: String, slides: Int, labelled: Int, folds: [Int], combination: String = "mean",
        labelledSlides: PartReport?
    ) {
        self.dataset = dataset
        self.slides = slides
        self.labelled = labelled
        self.folds = folds
        self.combination = combination
        self.labelledSlides = labelledSlides
    }

    enum CodingKeys: String, CodingKey {
        case dataset, slides, labelled, folds, combination
        case labelledSlides = "labelled_slides"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dataset, forKey: .dataset)
        try c.encode(slides, forKey: .slides)
        try c.encode(labelled, forKey: .labelled)
        try c.encode(folds, forKey: .folds)
        try c.encode(combination, forKey: .combination)
        try c.encode(labelledSlides, forKey: .labelledSlides)  // null, not absent, without labels
    }
}

public enum EvaluationLevel: String, CaseIterable, Codable, CodingKeyRepresentable, Sendable {
    case coarse
    case coarseFromFine = "coarse_from_fine"
    case fine
    /// The fine classes decided by `HierarchicalDecision` (`--hierarchy-beta`; models with a coarse head).
    case fineHierarchical = "fine_hierarchical"

    /// Whether the level's classes are the fine classes.
    public var isFine: Bool { self == .fine || self == .fineHierarchical }
}

public enum EvaluationPart: String, CaseIterable, Codable, CodingKeyRepresentable, Sendable {
    case test
    case val
}

public struct FoldReport: Codable, Equatable, Sendable {
    public var fold: Int
    public var parts: [EvaluationPart: PartReport]

    public init(fold: Int, parts: [EvaluationPart: PartReport]) {
        self.fold = fold
        self.parts = parts
    }
}

public struct PartReport: Codable, Equatable, Sendable {
    public var slides: Int
    public var levels: [EvaluationLevel: LevelReport]
    /// Keyed by the coarse level compared with the fine prediction's parent.
    public var hierarchyConsistency: [EvaluationLevel: Estimate]
    /// Attention scored against key instances (`--instance-labels`); absent without them.
    public var instanceAttention: [AttentionLevel: InstanceAttentionReport]?

    public init(
        slides: Int, levels: [EvaluationLevel: LevelReport], hierarchyConsistency: [EvaluationLevel: Estimate],
        instanceAttention: [AttentionLevel: InstanceAttentionReport]? = nil
    ) {
        self.slides = slides
        self.levels = levels
        self.hierarchyConsistency = hierarchyConsistency
        self.instanceAttention = instanceAttention
    }

    enum CodingKeys: String, CodingKey {
        case slides, levels
        case hierarchyConsistency = "hierarchy_consistency"
        case instanceAttention = "instance_attention"
    }
}

public struct LevelReport: Codable, Equatable, Sendable {
    public var classes: [String]
    public var slides: Int
    public var metrics: [ScalarMetric: Estimate]
    /// Classes that do not occur in the labels and are left out of the macro AUC.
    public var aucClassesLeftOut: [String]
    public var perClass: [ClassReport]
    /// Rows true class, columns predicted class.  [K][K]
    public var confusionMatrix: [[Int]]

    public init(
        classes: [String], slides: Int, metrics: [ScalarMetric: Estimate], aucClassesLeftOut: [String],
        perClass: [ClassReport], confusionMatrix: [[Int]]
    ) {
        self.classes = classes
        self.slides = slides
        self.metrics = metrics
        self.aucClassesLeftOut = aucClassesLeftOut
        self.perClass = perClass
        self.confusionMatrix = confusionMatrix
    }

    enum CodingKeys: String, CodingKey {
        case classes, slides, metrics
        case aucClassesLeftOut = "auc_classes_left_out"
        case perClass = "per_class"
        case
            confusionMatrix = "confusion_matrix"
    }
}

/// One class of a level: counts and one-vs-rest metrics (zero division → 0; specificity and AUC null when undefined).
public struct ClassReport: Codable, Equatable, Sendable {
    public var name: String
    public var support: Int
    public var predicted: Int
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var specificity: Double?
    public var auc: Double?

    public init(
        name: String, support: Int, predicted: Int, precision: Double, recall: Double, f1: Double,
        specificity: Double?, auc: Double?
    ) {
        self.name = name
        self.support = support
        self.predicted = predicted
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.specificity = specificity
        self.auc = auc
    }

    enum CodingKeys: String, CodingKey {
        case name = "class"
        case support, predicted, precision, recall, f1, specificity, auc
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(support, forKey: .support)
        try c.encode(predicted, forKey: .predicted)
        try c.encode(precision, forKey: .precision)
        try c.encode(recall, forKey: .recall)
        try c.encode(f1, forKey: .f1)
        try c.encode(specificity, forKey: .specificity)
        try c.encode(auc, forKey: .auc)
    }
}

/// A metric on one fold: its value (null when undefined, with the reason) and its bootstrap interval.
public struct Estimate: Codable, Equatable, Sendable {
    public var value: Double?
    /// Why `value` is null.
    public var undefined: String?
    /// Percentile bootstrap interval [low, high]; null when the bootstrap is off or no resample was defined.
    public var ci95: [Double]?
    /// Resamples on which the metric was undefined and which were skipped.
    public var bootstrapSkipped: Int?

    public init(value: Double?, undefined: String? = nil, ci95: [Double]? = nil, bootstrapSkipped: Int? = nil) {
        self.value = value
        self.undefined = undefined
        self.ci95 = ci95
        self.bootstrapSkipped = bootstrapSkipped
    }

    enum CodingKeys: String, CodingKey {
        case value, undefined, ci95
        case bootstrapSkipped = "bootstrap_skipped"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(value, forKey: .value)  // null, not absent, when undefined
        try c.encodeIfPresent(undefined, forKey: .undefined)
        try c.encodeIfPresent(ci95, forKey: .ci95)
        try c.encodeIfPresent(bootstrapSkipped, forKey: .bootstrapSkipped)
    }
}

/// Cross-fold statistics of one part.
public struct PartSummary: Codable, Equatable, Sendable {
    public var levels: [EvaluationLevel: LevelSummary]
    public var hierarchyConsistency: [EvaluationLevel: CrossFoldStatistic]
    /// Attention scored against key instances (`--instance-labels`); absent without them.
    public var instanceAttention: [AttentionLevel: InstanceAttentionSummary]?

    public init(
        levels: [EvaluationLevel: LevelSummary], hierarchyConsistency: [EvaluationLevel: CrossFoldStatistic],
        instanceAttention: [AttentionLevel: InstanceAttentionSummary]? = nil
    ) {
        self.levels = levels
        self.hierarchyConsistency = hierarchyConsistency
        self.instanceAttention = instanceAttention
    }

    enum CodingKeys: String, CodingKey {
        case levels
        case hierarchyConsistency = "hierarchy_consistency"
        case instanceAttention = "instance_attention"
    }
}

public struct LevelSummary: Codable, Equatable, Sendable {
    public var metrics: [ScalarMetric: CrossFoldStatistic]
    /// Class name → "precision" | "recall" | "f1" | "specificity" | "auc" → statistic.
    public var perClass: [String: [String: CrossFoldStatistic]]

    public init(metrics: [ScalarMetric: CrossFoldStatistic], perClass: [String: [String: CrossFoldStatistic]]) {
        self.metrics = metrics
        self.perClass = perClass
    }

    enum CodingKeys: String, CodingKey {
        case metrics
        case perClass = "per_class"
    }
}

/// How the per-fold bootstrap intervals were drawn (see `Bootstrap`).
public struct BootstrapSettings: Codable, Equatable, Sendable {
    /// Number of resamples; 0 turns the bootstrap off.
    public var resamples: Int
    public var seed: UInt64
    /// Central share of the resampled values that the interval covers.
    public var confidence: Double
    /// Always "percentile" (numpy's linear interpolation between order statistics).
    public var method: String

    public init(resamples: Int = 1000, seed: UInt64 = 1, confidence: Double = 0.95) {
        self.resamples = resamples
        self.seed = seed
        self.confidence = confidence
        method = "percentile"
    }
}

// MARK: - The metrics' own values, as the document writes them

/// Keys of `metrics` objects: the metric's name (its raw value).
extension ScalarMetric: Codable, CodingKeyRepresentable {}

/// `{"mean": .., "std": .., "sem": .., "folds": n, "undefined_folds": [..]}`; the three statistics are
/// null, not absent, when undefined.
extension CrossFoldStatistic: Codable {
    enum CodingKeys: String, CodingKey {
        case mean, std, sem, folds
        case undefinedFolds = "undefined_folds"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            mean: try c.decodeIfPresent(Double.self, forKey: .mean), std: try c.decodeIfPresent(Double.self, forKey: .std),
            sem: try c.decodeIfPresent(Double.self, forKey: .sem), folds: try c.decode(Int.self, forKey: .folds),
            undefinedFolds: try c.decode([Int].self, forKey: .undefinedFolds))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mean, forKey: .mean)
        try c.encode(std, forKey: .std)
        try c.encode(sem, forKey: .sem)
        try c.encode(folds, forKey: .folds)
        try c.encode(undefinedFolds, forKey: .undefinedFolds)
    }
}
