import Foundation

/// The model path of hmil-eval (`hmil-train … | hmil-eval`): each fold's checkpoint from the
/// `hmil.models/1` document, run on that fold's test and val slides, gives per-slide probabilities.
///
/// Every checkpoint is loaded and checked (hierarchy equal to the document's, feature dim equal to the
/// packs') before any slide is predicted, so a bad fold fails at once rather than after hours. Slides
/// run on every core (`SlideInference`); with an attention folder each slide's attention goes into
/// `<folder>/fold_<k>/<slide_id>.csv` (`AttentionCSV`) as it is predicted.
public enum CheckpointPredictions {
    public struct Options: Sendable {
        /// Which parts of each fold to predict, in this order.
        public var parts: [EvaluationPart]
        /// Threads in total; 0 uses every core.
        public var threads: Int
        /// Where the attention files go (RESULTS/attention); nil writes none.
        public var attentionFolder: String?
        public var quiet: Bool
        public var tool: String

        public init(parts: [EvaluationPart] = EvaluationPart.allCases, threads: Int = 0, attentionFolder: String? = nil,
                    quiet: Bool = true, tool: String = "hmil-eval") {
            self.parts = parts
            self.threads = threads
            self.attentionFolder = attentionFolder
            self.quiet = quiet
            self.tool = tool
        }
    }

    /// Each fold's parts as predicted by its model, in fold order then `options.parts` order. Parts
    /// without slides (a fold with no validation part) are left out.
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
        if let folder = options.attentionFolder {
            for item in work { for slide in item.slides { _ = try AttentionCSV.path(folder: folder, fold: item.record.fold, slideID: slide.slideID) } }
        }
        let bags = try BagSource(document: document, source: source)
        for record in models { _ = try FoldModel.load(record, hierarchy: hierarchy, featureDim: bags.featureDim, data: source) }

        let inference = SlideInference(threads: options.threads)
        let progress = Progress(tool: options.tool, label: "predicting", total: work.reduce(0) { $0 + $1.slides.count },
                                unit: "slides", quiet: options.quiet)
        var parts: [PartPredictions] = []
        var loaded: FoldModel?
        for item in work {
            if loaded?.fold != item.record.fold {
                loaded = nil   // one model in memory at a time
                loaded = try FoldModel.load(item.record, hierarchy: hierarchy, featureDim: bags.featureDim, data: source)
            }
            var builder = PartPredictionsBuilder(fold: item.record.fold, part: item.part, hierarchy: hierarchy)
            try inference.run(model: loaded!.model, bags: bags, slideIDs: item.slides.map(\.slideID),
                              keepOutputs: options.attentionFolder != nil, progress: progress) { position, prediction in
                builder.append(slideID: prediction.slideID, fineLabel: item.slides[position].fineLabel, prediction: prediction)
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
        -> [(slideID: String, fineLabel: Int)] {
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
