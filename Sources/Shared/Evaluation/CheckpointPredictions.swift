import Foundation

/// The model path of hmil-eval (`hmil-train … | hmil-eval`): each fold's checkpoint from the
/// `hmil.models/1` document, run on that fold's test and val slides, gives per-slide probabilities.
///
/// Every checkpoint is loaded and checked (hierarchy equal to the document's, feature dim equal to the
/// packs') before any slide is predicted, so a bad fold fails at once rather than after hours. Slides
/// run on every core (`SlideInference`); with an attention folder each slide's attention goes into
/// `<folder>/fold_<k>/<slide_id>.csv` (`AttentionCSV`) as it is predicted. With instance labels, each
/// slide's attention is scored against its key instances as it is predicted (`InstanceAttention`),
/// without writing any file; the labels of every evaluated slide are checked against its bag's size
/// before the first slide is predicted.
public enum CheckpointPredictions {
    public struct Options: Sendable {
        /// Which parts of each fold to predict, in this order.
        public var parts: [EvaluationPart]
        /// Threads in total; 0 uses every core.
        public var threads: Int
        /// Where the attention files go (RESULTS/attention); nil writes none.
        public var attentionFolder: String?
        /// Key instances to score the attention against (`--instance-labels`); nil scores none.
        public var instanceLabels: InstanceLabels?
        /// β of the `fine_hierarchical` level (`--hierarchy-beta`); nil: no such level. Models need a coarse head.
        public var hierarchyBeta: Double?
        public var quiet: Bool
        public var tool: String

        public init(
            parts: [EvaluationPart] = EvaluationPart.allCases, threads: Int = 0, attentionFolder: String? = nil,
            instanceLabels: InstanceLabels? = nil, hierarchyBeta: Double? = nil, quiet: Bool = true, tool: String = "hmil-eval"
        ) {
            self.parts = parts
            self.threads = threads
            self.attentionFolder = attentionFolder
            self.instanceLabels = instanceLabels
            self.hierarchyBeta = hierarchyBeta
            self.quiet = quiet
            self.tool = tool
        }
    }

    /// Each fold's parts as predicted by its model, in fold order then `options.parts` order. Parts
    /// without slides (a fold with no validation part) are left out; with no part to predict, nothing
    /// is opened.
    public static func predict(document: PipelineDocument, source: String, options: Options = Options()) throws -> [PartPredictions] {
        try document.require(PipelineDocument.modelsFormat, source: source, producer: "hmil-train")
        guard let models = document.models, !models.isEmpty else {
            throw ToolError("document has no trained models", at: source, hint: "run hmil-train, or score CSVs with --predictions")
        }
        let hierarchy = document.hierarchy
        try hierarchy.validate(source: source)
        var work: [(record: ModelRecord, part: EvaluationPart, slides: [(slideID: String, fineLabel: Int)])] = []
        for record in models.sorted(by: { $0.fold < $1.fold }) {
            for part in options.parts {
                let slides = try evaluationSlides(fold: record.fold, part: part, document: document, source: source)
                if !slides.isEmpty { work.append((record, part, slides)) }
            }
        }
        guard !work.isEmpty else { return [] }  // --parts none (external data only): the plan's packs are not needed
        if let folder = options.attentionFolder {
            for item in work {
                for slide in item.slides { _ = try AttentionCSV.path(folder: folder, fold: item.record.fold, slideID: slide.slideID) }
            }
        }
        let bags = try BagSource(document: document, source: source)
        for record in models {
            let model = try FoldModel.load(record, hierarchy: hierarchy, featureDim: bags.featureDim, data: source)
            if options.hierarchyBeta != nil { try model.requireCoarseHead(for: "--hierarchy-beta") }
        }
        // Key flags of every evaluated slide with labels, checked against its bag's size.
        var keyFlags: [String: [Bool]] = [:]
        if let labels = options.instanceLabels {
            for item in work {
                for slide in item.slides where keyFlags[slide.slideID] == nil {
                    keyFlags[slide.slideID] = try labels.flags(of: slide.slideID, instanceCount: bags.instanceCount(of: slide.slideID))
                }
            }
        }
        let keepOutputs = options.attentionFolder != nil || options.instanceLabels != nil

        let inference = SlideInference(threads: options.threads)
        let progress = Progress(
            tool: options.tool, label: "predicting", total: work.reduce(0) { $0 + $1.slides.count },
            unit: "slides", quiet: options.quiet)
        var parts: [PartPredictions] = []
        var loaded: FoldModel?
        for item in work {
            if loaded?.fold != item.record.fold {
                loaded = nil  // one model in memory at a time
                loaded = try FoldModel.load(item.record, hierarchy: hierarchy, featureDim: bags.featureDim, data: source)
            }
            var builder = PartPredictionsBuilder(
                fold: item.record.fold, part: item.part, hierarchy: hierarchy,
                hierarchyBeta: options.hierarchyBeta, scoresAttention: options.instanceLabels != nil)
            try inference.run(
                model: loaded!.model, bags: bags, slideIDs: item.slides.map(\.slideID),
                keepOutputs: keepOutputs, progress: progress
            ) { position, prediction in
                let fineLabel = item.slides[position].fineLabel
                builder.append(slideID: prediction.slideID, fineLabel: fineLabel, prediction: prediction)
                if options.instanceLabels != nil {
                    builder.scoreAttention(prediction, fineLabel: fineLabel, isKey: keyFlags[prediction.slideID])
                }
                if let folder = options.attentionFolder {
                    try AttentionCSV.write(prediction, fold: item.record.fold, hierarchy: hierarchy, folder: folder)
                }
            }
            parts.append(builder.build())
        }
        progress.finish()
        return parts
    }

    /// The slides of one fold's part with their fine class indices, in the fold's order.
    public static func evaluationSlides(fold: Int, part: EvaluationPart, document: PipelineDocument, source: String) throws
        -> [(slideID: String, fineLabel: Int)]
    {
        guard let record = document.folds.first(where: { $0.fold == fold }) else {
            throw ToolError("model for fold \(fold), which the document's folds do not list", at: source)
        }
        var labels: [String: String] = [:]
        for slide in document.slides { labels[slide.slideID] = slide.label }
        return try (part == .test ? record.test : record.val).map { id in
            guard let label = labels[id] else {
                throw ToolError("fold \(fold) lists a slide the document does not describe", at: "\(source), slide \(id)")
            }
            guard let index = document.hierarchy.fineIndex(of: label) else {
                throw ToolError("label '\(label)' is not a fine class of the hierarchy", at: "\(source), slide \(id)")
            }
            return (id, index)
        }
    }
}
