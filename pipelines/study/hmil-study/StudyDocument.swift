import Shared

/// study.json (`hmil.study/1`): every run over the same fold×seed pairs, and each run against the
/// baseline run, pair by pair.
///
/// ```json
/// {"format": "hmil.study/1", "work": "study-work-garments", "baseline": "abmil", "seeds": [1, 2, 3],
///  "pairs": [{"seed": 1, "fold": 0}, ...],                 // the order of every `values` array
///  "metrics": [{"key": "fine_accuracy", "label": "fine acc"}, ...],
///  "statistics": {"summary": "...", "interval": "...", "wilcoxon": "..."},
///  "runs": [{"name": "hmil", "train_options": ["--epochs 15 ... --seed 1 ...", ...],   // per seed
///            "coarse_level": "coarse",                      // or "coarse_from_fine" (no coarse head)
///            "cpu_seconds": 812.4, "cpu_seconds_folds": 15, // sum over pairs; null unless every fold recorded it
///            "metrics": {"fine_accuracy": {"n": 15, "mean": 0.76, "std": 0.05, "values": [0.74, null, ...]}, ...},
///            "versus_baseline": {"fine_accuracy": {"n": 15, "mean": 0.021, "std": 0.04, "ci95": [-0.004, 0.046],
///                "wilcoxon_p": 0.125, "wilcoxon_method": "exact", "wins": 9, "losses": 4, "ties": 2}, ...}}]}
/// ```
/// A metric undefined on a pair (an AUC with one class in the test part; key AUCs without
/// `hmil-eval --instance-labels`) is null in `values` and left out of its mean and of the pairs compared.
/// `versus_baseline` is absent for the baseline itself.
struct StudyDocument: Encodable {
    static let format = "hmil.study/1"

    struct Pair: Encodable, Hashable {
        var seed: UInt64
        var fold: Int
    }

    struct MetricName: Encodable {
        var key: String
        var label: String?
    }

    struct MetricValues: Encodable {
        var summary: SampleSummary
        var values: [Double?]
        enum CodingKeys: String, CodingKey { case n, mean, std, values }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(summary.n, forKey: .n)
            try c.encode(summary.mean, forKey: .mean)
            try c.encode(summary.std, forKey: .std)
            try c.encode(values, forKey: .values)
        }
    }

    struct Run: Encodable {
        var name: String
        var trainOptions: [String?]
        var coarseLevel: String
        var cpuSeconds: Double?
        var cpuSecondsFolds: Int
        var metrics: [String: MetricValues]
        var versusBaseline: [String: PairedDifference]?

        enum CodingKeys: String, CodingKey {
            case name
            case trainOptions = "train_options"
            case coarseLevel = "coarse_level"
            case cpuSeconds = "cpu_seconds"
            case cpuSecondsFolds = "cpu_seconds_folds"
            case metrics
            case versusBaseline = "versus_baseline"
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(trainOptions, forKey: .trainOptions)
            try c.encode(coarseLevel, forKey: .coarseLevel)
            try c.encode(cpuSeconds, forKey: .cpuSeconds)
            try c.encode(cpuSecondsFolds, forKey: .cpuSecondsFolds)
            try c.encode(metrics, forKey: .metrics)
            try c.encodeIfPresent(versusBaseline, forKey: .versusBaseline)
        }
    }

    var format = StudyDocument.format
    var work: String
    var baseline: String
    var seeds: [UInt64]
    var pairs: [Pair]
    var metrics: [MetricName]
    var statistics: [String: String] = [
        "summary": "mean and sample standard deviation (n - 1) over the fold x seed pairs where the metric is defined",
        "interval": "paired differences run - baseline: mean +- t(0.975, n - 1) * s / sqrt(n), Student t",
        "wilcoxon":
            "two-sided signed-rank test of the differences as scipy.stats.wilcoxon's defaults (scipy 1.17): zero differences dropped; exact null distribution when n <= 50 without zeros or ties; exact sign flips when n <= 13 with zeros or ties; else the normal approximation with tie correction, no continuity correction"
    ]
    var runs: [Run]
}

extension StudyDocument {
    /// Reads every run on every seed and compares them with `baseline`, pair by pair.
    init(work: String, runs names: [String], seeds: [UInt64], baseline: String) throws {
        var results: [String: [UInt64: RunSeedResults]] = [:]
        var pairs: [Pair] = []
        for seed in seeds {
            var reference: (run: String, result: RunSeedResults)?
            for name in names {
                let result = try RunSeedResults(work: work, seed: seed, run: name)
                if let splitSeed = result.splitSeed, splitSeed != seed {
                    throw ToolError(
                        "the folds of seed_\(seed) were split with seed \(splitSeed)", at: result.path,
                        hint: "each seed's folder must hold the pipeline made with SEED=\(seed)")
                }
                if let reference {
                    guard result.plan == reference.result.plan else {
                        throw ToolError(
                            "run '\(name)' was evaluated on other folds than run '\(reference.run)' of seed \(seed)",
                            at: result.path, hint: "every run of a seed must train on the seed's one split")
                    }
                } else {
                    reference = (name, result)
                    pairs += result.plan.map { Pair(seed: seed, fold: $0.fold) }
                }
                results[name, default: [:]][seed] = result
            }
        }
        let fold = { (name: String, pair: Pair) -> FoldResult in results[name]![pair.seed]!.folds[pair.fold]! }

        var runs: [Run] = []
        for name in names {
            var metrics: [String: MetricValues] = [:]
            for metric in StudyMetric.all {
                let values = pairs.map { metric.read(fold(name, $0)) }
                metrics[metric.key] = MetricValues(summary: SampleSummary(values.compactMap { $0 }), values: values)
            }
            var versus: [String: PairedDifference]?
            if name != baseline {
                versus = [:]
                for metric in StudyMetric.all {
                    let differences: [Double] = pairs.compactMap { pair in
                        guard let value = metric.read(fold(name, pair)), let base = metric.read(fold(baseline, pair)) else { return nil }
                        return value - base
                    }
                    versus![metric.key] = PairedDifference(differences: differences)
                }
            }
            let cpu = pairs.compactMap { fold(name, $0).cpuSeconds }
            let levels = Set(pairs.map { fold(name, $0).coarseLevel.rawValue })
            runs.append(
                Run(
                    name: name, trainOptions: seeds.map { results[name]![$0]!.trainOptions },
                    coarseLevel: levels.count == 1 ? levels.first! : "mixed",
                    cpuSeconds: cpu.count == pairs.count ? cpu.reduce(0, +) : nil, cpuSecondsFolds: cpu.count,
                    metrics: metrics, versusBaseline: versus))
        }
        self.init(
            work: work, baseline: baseline, seeds: seeds, pairs: pairs,
            metrics: StudyMetric.all.map { MetricName(key: $0.key, label: $0.label) }, runs: runs)
    }
}
