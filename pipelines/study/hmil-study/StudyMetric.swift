import Shared

/// One number a study compares, read per fold from a run's eval.json (hmil.eval/1): a metric of one
/// level of the test part, or an instance-attention AUC (hmil-eval --instance-labels).
struct StudyMetric: Sendable {
    /// The key in study.json.
    let key: String
    /// The column in study.md; nil keeps it out of the Markdown (it stays in the JSON).
    let label: String?
    let read: @Sendable (FoldResult) -> Double?

    /// Every metric, in the order of study.json and study.md. `coarse_*` is the coarse head's level, or
    /// for a model without one (ABMIL) the fine probabilities summed per parent, so that a hierarchical
    /// run's coarse head is compared with the flat model's best coarse guess.
    static let all: [StudyMetric] = [
        level(.fine, .accuracy, "fine acc"),
        level(.fine, .balancedAccuracy, "fine bal acc"),
        level(.fine, .aucMacro, "fine AUC"),
        coarse(.accuracy, "coarse acc"),
        coarse(.balancedAccuracy, "coarse bal acc"),
        coarse(.aucMacro, "coarse AUC"),
        level(.coarseFromFine, .accuracy, "summed-fine coarse acc"),
        level(.coarseFromFine, .balancedAccuracy, nil),
        level(.coarseFromFine, .aucMacro, nil),
        attention("fine", "pooled_auc", "key AUC fine attn"),
        attention("fine", "bag_mean_auc", "per bag"),
        attention("coarse", "pooled_auc", "key AUC coarse attn"),
        attention("coarse", "bag_mean_auc", nil)
    ]

    private static func level(_ level: EvaluationLevel, _ metric: ScalarMetric, _ label: String?) -> StudyMetric {
        StudyMetric(key: level.rawValue + "_" + metric.rawValue, label: label) { $0.levels[level]?[metric] ?? nil }
    }

    private static func coarse(_ metric: ScalarMetric, _ label: String) -> StudyMetric {
        StudyMetric(key: "coarse_" + metric.rawValue, label: label) { fold in
            fold.levels[fold.coarseLevel]?[metric] ?? nil
        }
    }

    private static func attention(_ level: String, _ field: String, _ label: String?) -> StudyMetric {
        let key = "key_auc_" + level + (field == "pooled_auc" ? "" : "_per_bag")
        return StudyMetric(key: key, label: label) { $0.instanceAttention[level]?[field] ?? nil }
    }
}

/// What a study reads of one fold of one run: the test part's metrics by level, the instance-attention
/// AUCs when hmil-eval computed them, and the fold's training CPU time when hmil-train recorded it.
struct FoldResult: Sendable {
    var levels: [EvaluationLevel: [ScalarMetric: Double?]]
    /// "fine" | "coarse" → "pooled_auc" | "bag_mean_auc" → value.
    var instanceAttention: [String: [String: Double?]]
    var cpuSeconds: Double?

    /// The coarse head's level when the run has one, else the summed fine probabilities.
    var coarseLevel: EvaluationLevel { levels[.coarse] != nil ? .coarse : .coarseFromFine }
}
