/// The model path of hmil-eval (`hmil-train … | hmil-eval`): each fold's checkpoint from the
/// `hmil.models/1` document, run on that fold's test and val slides, gives per-slide probabilities.
///
/// **Seam, not yet connected.** What goes here once the checkpoint reader and the model's forward pass
/// exist: for each `ModelRecord`, load its checkpoint, check its hierarchy and feature dim against the
/// document, then for each part of `evaluationSlides(...)` stream the bags from the packs, run the
/// forward pass and `append` each `BagOutput` to a `PartPredictionsBuilder`; return the built parts.
/// Everything after that (metrics, bootstrap, CSVs, plots, table, JSON) already takes `[PartPredictions]`.
/// Until then `predict` checks the document and throws one line saying the model path is missing.
public enum CheckpointPredictions {
    public static func predict(document: PipelineDocument, source: String) throws -> [PartPredictions] {
        try document.require(PipelineDocument.modelsFormat, source: source, producer: "hmil-train")
        guard let models = document.models, !models.isEmpty else {
            throw ToolError("document has no trained models", at: source, hint: "run hmil-train, or score CSVs with --predictions")
        }
        for model in models {
            for part in EvaluationPart.allCases { _ = try evaluationSlides(fold: model.fold, part: part, document: document, source: source) }
        }
        throw ToolError("evaluating checkpoints is not available in this build yet", at: source,
                        hint: "score CLAM-style prediction CSVs with --predictions FILE --hierarchy H.json")
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
