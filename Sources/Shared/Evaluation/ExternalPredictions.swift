import Foundation

/// `hmil-eval --dataset D.json`: slides that were not in the training plan (a dataset document from
/// hmil-pack, labelled or not), predicted by every fold's model. The folds' probabilities are averaged
/// per class (each level separately; `coarse_from_fine` sums the averaged fine probabilities, which is
/// the same as averaging the folds' sums), and the class with the highest mean is predicted.
///
/// Files, each atomically, for each level (coarse for HMIL only, coarse_from_fine, fine, and
/// fine_hierarchical with `--hierarchy-beta`: the rule applied to each fold's probabilities, then averaged):
/// ```
/// RESULTS/external/<level>/predictions.csv   slide_id,Y,Y_hat,p_0..p_{K-1}   the mean over the folds
/// RESULTS/external/<level>/fold_<k>.csv      the same columns, fold k's model alone
/// ```
/// `Y` (the true class index, as CLAM writes it) is empty for an unlabelled slide and left out when no
/// slide is labelled. Metrics are computed on the labelled slides only.
public struct ExternalPredictions: Sendable {
    public struct FoldProbabilities: Sendable {
        public var fold: Int
        public var fine: [Double]  // [n, Kf]
        public var coarse: [Double]?  // [n, Kc], nil for the flat model

        public init(fold: Int, fine: [Double], coarse: [Double]?) {
            self.fold = fold
            self.fine = fine
            self.coarse = coarse
        }
    }

    public let hierarchy: Hierarchy
    /// The dataset document's path (or name).
    public let dataset: String
    public let slideIDs: [String]  // [n]
    /// True fine class index; nil for an unlabelled slide.  [n]
    public let fineLabels: [Int?]
    /// Each fold's model alone, in fold order.
    public let folds: [FoldProbabilities]
    /// Dataset slides that the training plan also lists (their predictions are not external).
    public let alsoInTrainingPlan: [String]
    /// β of the `fine_hierarchical` level; nil: no such level.
    public let hierarchyBeta: Double?

    /// Predicts every slide of `dataset` with every model of `models` (a models document) and keeps each
    /// fold's probabilities. With `options.attentionFolder`, each fold's attention is written there too.
    public static func predict(
        dataset: PipelineDocument, source: String, models: PipelineDocument, modelsSource: String,
        options: CheckpointPredictions.Options
    ) throws -> ExternalPredictions {
        try dataset.require(PipelineDocument.datasetFormat, source: source, producer: "hmil-pack")
        let hierarchy = dataset.hierarchy
        try hierarchy.validate(source: source)
        guard hierarchy == models.hierarchy else {
            throw ToolError(
                "dataset's hierarchy \(FoldModel.describe(hierarchy)) differs from the models' \(FoldModel.describe(models.hierarchy)) in \(modelsSource)",
                at: source, hint: "label the new slides with the classes the models were trained on, or leave labels empty")
        }
        guard let records = models.models, !records.isEmpty else {
            throw ToolError("document has no trained models", at: modelsSource, hint: "run hmil-train first")
        }
        var seen = Set<String>()
        var fineLabels: [Int?] = []
        for slide in dataset.slides {
            guard seen.insert(slide.slideID).inserted else {
                throw ToolError("slide listed twice", at: "\(source), slide \(slide.slideID)", hint: "list each slide once")
            }
            if !slide.isLabelled {
                fineLabels.append(nil)
            } else if let index = hierarchy.fineIndex(of: slide.label) {
                fineLabels.append(index)
            } else {
                throw ToolError(
                    "label '\(slide.label)' is not a fine class of the hierarchy", at: "\(source), slide \(slide.slideID)",
                    hint: "use one of \(hierarchy.fine.joined(separator: ", ")), or \"\" for an unlabelled slide")
            }
        }
        guard !dataset.slides.isEmpty else { throw ToolError("dataset lists no slides", at: source) }
        let slideIDs = dataset.slides.map(\.slideID)
        if let folder = options.attentionFolder {
            for record in records { for id in slideIDs { _ = try AttentionCSV.path(folder: folder, fold: record.fold, slideID: id) } }
        }
        let bags = try BagSource(document: dataset, source: source)
        let sorted = records.sorted { $0.fold < $1.fold }
        for record in sorted {
            let model = try FoldModel.load(record, hierarchy: hierarchy, featureDim: bags.featureDim, data: source)
            if options.hierarchyBeta != nil { try model.requireCoarseHead(for: "--hierarchy-beta") }
        }

        let inference = SlideInference(threads: options.threads)
        let progress = Progress(
            tool: options.tool, label: "predicting external data", total: slideIDs.count * sorted.count,
            unit: "slides", quiet: options.quiet)
        var folds: [FoldProbabilities] = []
        for record in sorted {
            let loaded = try FoldModel.load(record, hierarchy: hierarchy, featureDim: bags.featureDim, data: source)
            var fine: [Double] = []
            var coarse: [Double] = []
            var hasCoarse = false
            try inference.run(
                model: loaded.model, bags: bags, slideIDs: slideIDs, keepOutputs: options.attentionFolder != nil,
                progress: progress
            ) { _, prediction in
                fine += prediction.fineProbabilities
                if let c = prediction.coarseProbabilities {
                    coarse += c
                    hasCoarse = true
                }
                if let folder = options.attentionFolder {
                    try AttentionCSV.write(prediction, fold: record.fold, hierarchy: hierarchy, folder: folder)
                }
            }
            folds.append(FoldProbabilities(fold: record.fold, fine: fine, coarse: hasCoarse ? coarse : nil))
        }
        progress.finish()
        guard Set(folds.map { $0.coarse == nil }).count == 1 else {
            throw ToolError(
                "the folds' models mix HMIL and the flat ABMIL model", at: modelsSource,
                hint: "average models of one kind")
        }
        let training = Set(models.slides.map(\.slideID))
        return ExternalPredictions(
            hierarchy: hierarchy, dataset: source, slideIDs: slideIDs, fineLabels: fineLabels, folds: folds,
            alsoInTrainingPlan: slideIDs.filter { training.contains($0) }, hierarchyBeta: options.hierarchyBeta)
    }

    public init(
        hierarchy: Hierarchy, dataset: String, slideIDs: [String], fineLabels: [Int?], folds: [FoldProbabilities],
        alsoInTrainingPlan: [String] = [], hierarchyBeta: Double? = nil
    ) {
        precondition(!folds.isEmpty, "at least one fold")
        precondition(fineLabels.count == slideIDs.count, "one label (or nil) per slide")
        precondition(hierarchyBeta == nil || folds.allSatisfy { $0.coarse != nil }, "the hierarchical decision needs a coarse head")
        self.hierarchyBeta = hierarchyBeta
        self.hierarchy = hierarchy
        self.dataset = dataset
        self.slideIDs = slideIDs
        self.fineLabels = fineLabels
        self.folds = folds
        self.alsoInTrainingPlan = alsoInTrainingPlan
    }

    public var count: Int { slideIDs.count }
    public var labelledCount: Int { fineLabels.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// The levels this model kind has, in `EvaluationLevel` order.
    public var levels: [EvaluationLevel] {
        folds[0].coarse == nil
            ? [.coarseFromFine, .fine] : EvaluationLevel.allCases.filter { $0 != .fineHierarchical || hierarchyBeta != nil }
    }

    /// One level's probabilities of one fold's model.  [n, K]
    public func probabilities(_ level: EvaluationLevel, fold: FoldProbabilities) -> [Double] {
        switch level {
        case .fine: return fold.fine
        case .coarse: return fold.coarse!
        case .fineHierarchical:
            return HierarchicalDecision.probabilities(
                fine: fold.fine, coarse: fold.coarse!, parent: hierarchy.parentIndex,
                coarseCount: hierarchy.coarseCount, beta: hierarchyBeta!)
        case .coarseFromFine:
            let parent = hierarchy.parentIndex
            let kf = hierarchy.fineCount
            let kc = hierarchy.coarseCount
            var q = [Double](repeating: 0, count: count * kc)
            for bag in 0..<count { for j in 0..<kf { q[bag * kc + parent[j]] += fold.fine[bag * kf + j] } }
            return q
        }
    }

    /// One level's probabilities averaged over the folds (sum in fold order, then divided).  [n, K]
    public func meanProbabilities(_ level: EvaluationLevel) -> [Double] {
        var sum = probabilities(level, fold: folds[0])
        for fold in folds.dropFirst() {
            let p = probabilities(level, fold: fold)
            for i in sum.indices { sum[i] += p[i] }
        }
        let n = Double(folds.count)
        return sum.map { $0 / n }
    }

    public func classes(_ level: EvaluationLevel) -> [String] { level.isFine ? hierarchy.fine : hierarchy.coarse }

    /// True class index at `level`; nil for an unlabelled slide.  [n]
    public func labels(_ level: EvaluationLevel) -> [Int?] {
        let parent = hierarchy.parentIndex
        return level.isFine ? fineLabels : fineLabels.map { $0.map { parent[$0] } }
    }

    /// The labelled slides with the averaged probabilities, for the metrics; nil when none is labelled.
    public func labelledPart() -> PartPredictions? {
        let keep = fineLabels.indices.filter { fineLabels[$0] != nil }
        guard !keep.isEmpty else { return nil }
        var levelPredictions: [EvaluationLevel: LevelPredictions] = [:]
        for level in levels {
            let k = classes(level).count
            let mean = meanProbabilities(level)
            let labels = self.labels(level)
            levelPredictions[level] = LevelPredictions(
                classes: classes(level), slideIDs: keep.map { slideIDs[$0] }, labels: keep.map { labels[$0]! },
                probabilities: keep.flatMap { mean[($0 * k)..<($0 * k + k)] })
        }
        return PartPredictions(fold: 0, part: .test, levels: levelPredictions, fineParent: hierarchy.parentIndex)
    }

    /// The `external` section of the report: counts, folds and the metrics of the labelled slides.
    public func report(bootstrap: BootstrapSettings) -> ExternalReport {
        ExternalReport(
            dataset: dataset, slides: count, labelled: labelledCount, folds: folds.map(\.fold),
            labelledSlides: labelledPart().map { Evaluator.evaluate($0, bootstrap: bootstrap, stream: Evaluator.externalStream) })
    }

    /// Writes every level's `predictions.csv` and `fold_<k>.csv` under `folder` (RESULTS/external).
    @discardableResult
    public func write(to folder: String) throws -> [String] {
        var written: [String] = []
        for level in levels {
            let directory = "\(folder)/\(level.rawValue)"
            let labels = self.labels(level)
            let k = classes(level).count
            try AtomicFile.write(
                Data(Self.csv(slideIDs: slideIDs, labels: labels, classCount: k, probabilities: meanProbabilities(level)).utf8),
                to: directory + "/predictions.csv")
            written.append(directory + "/predictions.csv")
            for fold in folds {
                let path = "\(directory)/fold_\(fold.fold).csv"
                try AtomicFile.write(
                    Data(
                        Self.csv(
                            slideIDs: slideIDs, labels: labels, classCount: k,
                            probabilities: probabilities(level, fold: fold)
                        ).utf8), to: path)
                written.append(path)
            }
        }
        return written
    }

    /// CLAM's fold_k.csv layout; `Y` empty for unlabelled slides and left out when none is labelled.
    static func csv(slideIDs: [String], labels: [Int?], classCount k: Int, probabilities: [Double]) -> String {
        let withY = labels.contains { $0 != nil }
        var text = "slide_id" + (withY ? ",Y" : "") + ",Y_hat" + (0..<k).map { ",p_\($0)" }.joined() + "\n"
        for bag in slideIDs.indices {
            let row = probabilities[(bag * k)..<(bag * k + k)]
            text += CSVWriter.quoted(slideIDs[bag])
            if withY { text += "," + (labels[bag].map { PredictionCSV.pythonText(Double($0)) } ?? "") }
            text += "," + PredictionCSV.pythonText(Double(LevelPredictions.argmax(row)))
            for p in row { text += "," + PredictionCSV.pythonText(p) }
            text += "\n"
        }
        return text
    }
}
