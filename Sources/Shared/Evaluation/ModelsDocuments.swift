/// hmil-eval's input: one models document (`hmil.models/1`), or several, e.g. one per fold as
/// `hmil-train --fold k` writes them. Several are merged into one: their plans (hierarchy, slides,
/// folds, packs: everything but `models`) must be identical, and their models are pooled by fold.
public enum ModelsDocuments {
    /// The merged document, with `models` sorted by fold. A fold listed by two documents must be the
    /// same record in both.
    public static func merge(_ inputs: [(document: PipelineDocument, source: String)]) throws -> PipelineDocument {
        precondition(!inputs.isEmpty, "at least one document")
        for input in inputs {
            try input.document.require(PipelineDocument.modelsFormat, source: input.source, producer: "hmil-train")
            guard let models = input.document.models, !models.isEmpty else {
                throw ToolError(
                    "document has no trained models", at: input.source, hint: "run hmil-train, or score CSVs with --predictions")
            }
        }
        let first = inputs[0]
        var merged = first.document
        var origin: [Int: (record: ModelRecord, source: String)] = [:]
        for input in inputs {
            if let difference = planDifference(first.document, input.document) {
                throw ToolError(
                    "plan differs from \(first.source)'s (\(difference))", at: input.source,
                    hint: "merge models trained from one dataset document")
            }
            for record in input.document.models! {
                if let earlier = origin[record.fold] {
                    guard earlier.record == record else {
                        throw ToolError(
                            "fold \(record.fold) has another model in \(earlier.source)", at: input.source,
                            hint: "pass each fold's models document once")
                    }
                    continue
                }
                origin[record.fold] = (record, input.source)
            }
        }
        merged.models = origin.keys.sorted().map { origin[$0]!.record }
        return merged
    }

    /// What differs between two documents' plans, or nil when they are identical.
    static func planDifference(_ a: PipelineDocument, _ b: PipelineDocument) -> String? {
        if a.hierarchy != b.hierarchy { return "hierarchy" }
        if a.scheme != b.scheme || a.seed != b.seed { return "split scheme or seed" }
        if a.slides != b.slides { return "slides" }
        if a.folds != b.folds { return "folds" }
        if a.packs != b.packs || a.dropped != b.dropped { return "packs" }
        return nil
    }
}
