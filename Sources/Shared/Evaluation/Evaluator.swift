/// Turns per-slide predictions into the `hmil.eval/1` report: every metric per fold, part and level,
/// with per-fold bootstrap intervals, and the cross-fold summary.
///
/// Bootstrap resamples are drawn from `SeededGenerator(seed:, stream: fold · 2 + part)`, the same
/// resamples for every level of a fold's part (a paired bootstrap), so results do not depend on the
/// order in which folds are evaluated.
public enum Evaluator {
    public static func evaluate(
        _ parts: [PartPredictions], bootstrap: BootstrapSettings, source: String,
        inputs: [String]? = nil
    ) -> EvaluationReport {
        var folds: [Int: [EvaluationPart: PartReport]] = [:]
        for part in parts {
            folds[part.fold, default: [:]][part.part] = evaluate(part, bootstrap: bootstrap)
        }
        let foldReports = folds.keys.sorted().map { FoldReport(fold: $0, parts: folds[$0]!) }
        // Every fold's bags of a part in one set, in fold order, for the all-folds attention AUCs.
        var pooled: [EvaluationPart: InstanceAttention] = [:]
        for part in parts.sorted(by: { $0.fold < $1.fold }) {
            if let attention = part.instanceAttention { pooled[part.part, default: InstanceAttention()].merge(attention) }
        }
        return EvaluationReport(
            source: source, inputs: inputs, bootstrap: bootstrap, folds: foldReports,
            summary: summarize(foldReports, allFolds: pooled))
    }

    public static func evaluate(_ part: PartPredictions, bootstrap: BootstrapSettings) -> PartReport {
        evaluate(part, bootstrap: bootstrap, stream: UInt64(truncatingIfNeeded: part.fold) &* 2 &+ (part.part == .test ? 0 : 1))
    }

    /// Bootstrap stream of the external data's metrics: apart from every fold's (fold · 2 + part).
    public static let externalStream = UInt64.max

    /// A part's report with its bootstrap resamples drawn from `stream`.
    public static func evaluate(_ part: PartPredictions, bootstrap: BootstrapSettings, stream: UInt64) -> PartReport {
        var levels: [EvaluationLevel: LevelReport] = [:]
        for (level, predictions) in part.levels {
            levels[level] = evaluate(predictions, bootstrap: bootstrap, stream: stream)
        }
        var consistency: [EvaluationLevel: Estimate] = [:]
        if let fine = part.levels[.fine], let parent = part.fineParent {
            for level in [EvaluationLevel.coarse, .coarseFromFine] {
                guard let coarse = part.levels[level] else { continue }
                let agrees = (0..<fine.count).map { parent[fine.predictions[$0]] == coarse.predictions[$0] }
                consistency[level] = estimate(bootstrap: bootstrap, stream: stream, count: fine.count) { weights in
                    Self.share(agrees, weights: weights)
                }
            }
        }
        return PartReport(
            slides: part.slideIDs.count, levels: levels, hierarchyConsistency: consistency,
            instanceAttention: part.instanceAttention?.report())
    }

    /// All metrics of one level, each with its bootstrap interval.
    public static func evaluate(_ predictions: LevelPredictions, bootstrap: BootstrapSettings, stream: UInt64) -> LevelReport {
        let scorer = LevelScorer(predictions)
        let scores = scorer.scores()
        var resampled: [ScalarMetric: [Double]] = [:]
        var skipped: [ScalarMetric: Int] = [:]
        forEachResample(bootstrap: bootstrap, stream: stream, count: predictions.count) { weights in
            let sample = scorer.scores(weights: weights)
            for metric in ScalarMetric.allCases {
                if let value = sample.values[metric] {
                    resampled[metric, default: []].append(value)
                } else {
                    skipped[metric, default: 0] += 1
                }
            }
        }
        var metrics: [ScalarMetric: Estimate] = [:]
        for metric in ScalarMetric.allCases {
            metrics[metric] = Estimate(
                value: scores.values[metric], undefined: scores.undefined[metric],
                ci95: bootstrap.resamples > 0 ? Bootstrap.interval(resampled[metric] ?? [], confidence: bootstrap.confidence) : nil,
                bootstrapSkipped: bootstrap.resamples > 0 ? skipped[metric] ?? 0 : nil)
        }
        let c = scores.classification
        let perClass = predictions.classes.indices.map { k in
            ClassReport(
                name: predictions.classes[k], support: Int(c.support[k]), predicted: Int(c.predictedCounts[k]),
                precision: c.precision[k], recall: c.recall[k], f1: c.f1[k], specificity: c.specificity[k],
                auc: scores.classAUC[k])
        }
        return LevelReport(
            classes: predictions.classes, slides: predictions.count, metrics: metrics,
            aucClassesLeftOut: scores.aucClassesLeftOut.map { predictions.classes[$0] }, perClass: perClass,
            confusionMatrix: ConfusionMatrix(
                labels: predictions.labels, predictions: predictions.predictions,
                classCount: predictions.classCount
            ).integerRows)
    }

    /// Runs `body` once per resample with the resample's multiplicities as weights.  [n]
    static func forEachResample(bootstrap: BootstrapSettings, stream: UInt64, count: Int, _ body: ([Double]) -> Void) {
        guard bootstrap.resamples > 0, count > 0 else { return }
        var generator = SeededGenerator(seed: bootstrap.seed, stream: stream)
        var weights = [Double](repeating: 0, count: count)
        for _ in 0..<bootstrap.resamples {
            Bootstrap.drawMultiplicities(into: &weights, using: &generator)
            body(weights)
        }
    }

    static func estimate(bootstrap: BootstrapSettings, stream: UInt64, count: Int, _ metric: ([Double]?) -> Double?) -> Estimate {
        var values: [Double] = []
        var skipped = 0
        forEachResample(bootstrap: bootstrap, stream: stream, count: count) { weights in
            if let value = metric(weights) { values.append(value) } else { skipped += 1 }
        }
        let value = metric(nil)
        return Estimate(
            value: value, undefined: value == nil ? "no slides" : nil,
            ci95: bootstrap.resamples > 0 ? Bootstrap.interval(values, confidence: bootstrap.confidence) : nil,
            bootstrapSkipped: bootstrap.resamples > 0 ? skipped : nil)
    }

    /// Each attention level's AUCs across the folds of one part; nil when no fold scored attention.
    static func summarizeAttention(_ reports: [(fold: Int, report: PartReport)], allFolds: InstanceAttention?)
        -> [AttentionLevel: InstanceAttentionSummary]?
    {
        let scored = reports.compactMap { r in r.report.instanceAttention.map { (fold: r.fold, levels: $0) } }
        guard !scored.isEmpty else { return nil }
        var summary: [AttentionLevel: InstanceAttentionSummary] = [:]
        for level in AttentionLevel.allCases {
            let perFold = scored.compactMap { s in s.levels[level].map { (fold: s.fold, report: $0) } }
            guard !perFold.isEmpty else { continue }
            summary[level] = InstanceAttentionSummary(
                pooledAUC: CrossFoldStatistic(values: perFold.map { ($0.fold, $0.report.pooledAUC) }),
                bagMeanAUC: CrossFoldStatistic(values: perFold.map { ($0.fold, $0.report.bagMeanAUC) }),
                allFolds: allFolds?.levels[level]?.report())
        }
        return summary
    }

    static func share(_ flags: [Bool], weights: [Double]?) -> Double? {
        var hits = 0.0
        var total = 0.0
        for i in flags.indices {
            let w = weights?[i] ?? 1
            total += w
            if flags[i] { hits += w }
        }
        return total > 0 ? hits / total : nil
    }

    /// Mean, std and standard error over the folds, per part, level, metric and class; `allFolds` gives
    /// each part's attention scores of all folds together (their AUCs go under `all_folds`).
    static func summarize(_ folds: [FoldReport], allFolds: [EvaluationPart: InstanceAttention] = [:]) -> [EvaluationPart: PartSummary] {
        var summary: [EvaluationPart: PartSummary] = [:]
        for part in EvaluationPart.allCases {
            let reports = folds.compactMap { fold in fold.parts[part].map { (fold: fold.fold, report: $0) } }
            guard !reports.isEmpty else { continue }
            var levels: [EvaluationLevel: LevelSummary] = [:]
            for level in EvaluationLevel.allCases {
                let perFold = reports.compactMap { r in r.report.levels[level].map { (fold: r.fold, level: $0) } }
                guard let first = perFold.first else { continue }
                var metrics: [ScalarMetric: CrossFoldStatistic] = [:]
                for metric in ScalarMetric.allCases {
                    metrics[metric] = CrossFoldStatistic(values: perFold.map { ($0.fold, $0.level.metrics[metric]?.value) })
                }
                var perClass: [String: [String: CrossFoldStatistic]] = [:]
                for (k, name) in first.level.classes.enumerated() {
                    let classes = perFold.map { (fold: $0.fold, report: $0.level.perClass[k]) }
                    perClass[name] = [
                        "precision": CrossFoldStatistic(values: classes.map { ($0.fold, $0.report.precision) }),
                        "recall": CrossFoldStatistic(values: classes.map { ($0.fold, $0.report.recall) }),
                        "f1": CrossFoldStatistic(values: classes.map { ($0.fold, $0.report.f1) }),
                        "specificity": CrossFoldStatistic(values: classes.map { ($0.fold, $0.report.specificity) }),
                        "auc": CrossFoldStatistic(values: classes.map { ($0.fold, $0.report.auc) })
                    ]
                }
                levels[level] = LevelSummary(metrics: metrics, perClass: perClass)
            }
            var consistency: [EvaluationLevel: CrossFoldStatistic] = [:]
            for level in [EvaluationLevel.coarse, .coarseFromFine] {
                let values = reports.compactMap { r in r.report.hierarchyConsistency[level].map { (fold: r.fold, value: $0.value) } }
                if !values.isEmpty { consistency[level] = CrossFoldStatistic(values: values) }
            }
            summary[part] = PartSummary(
                levels: levels, hierarchyConsistency: consistency,
                instanceAttention: summarizeAttention(reports, allFolds: allFolds[part]))
        }
        return summary
    }
}
