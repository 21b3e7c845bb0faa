import Foundation

/// One fold's trained model, loaded from the checkpoint a models document names and checked against
/// the data it is about to see: the same hierarchy (class names, order and parents) and the packs'
/// feature dim. A mismatch is one line naming the checkpoint and the document, never a wrong number.
public struct FoldModel {
    public let fold: Int
    public let checkpoint: String
    public let model: MILModel

    /// Loads `record`'s checkpoint and checks it against `hierarchy` and `featureDim`, the hierarchy of
    /// the document `data` and the feature dim of its packs.
    public static func load(_ record: ModelRecord, hierarchy: Hierarchy, featureDim: Int, data: String) throws -> FoldModel {
        let path = record.checkpoint
        let place = "\(path), fold \(record.fold) of \(data)"
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else {
            throw ToolError(
                "checkpoint file not found", at: place,
                hint: "train the fold again (hmil-train --fold \(record.fold)), or give the models document where hmil-train saved it")
        }
        // Loading composes weight products with BLAS (`prepare()`); on one thread they come out the same
        // whatever ran before, so a fold's predictions do not depend on which folds were evaluated with it.
        BLAS.threadCount = 1
        let (model, metadata) = try Checkpoint.load(path: path)
        try check(model.configuration, trainedOn: metadata.hierarchy, against: hierarchy, featureDim: featureDim, at: place)
        return FoldModel(fold: record.fold, checkpoint: path, model: model)
    }

    /// Refuses a model without a coarse head (the flat ABMIL model) for an option that needs one.
    public func requireCoarseHead(for option: String) throws {
        guard case .abmil = model.configuration else { return }
        throw ToolError(
            "\(option) needs a model with a coarse head; fold \(fold)'s checkpoint is the flat ABMIL model", at: checkpoint,
            hint: "leave out \(option) for ABMIL: its coarse level is its fine probabilities summed (coarse_from_fine)")
    }

    /// The checks of `load`, on what a checkpoint records.
    public static func check(
        _ configuration: ModelConfiguration, trainedOn trained: Hierarchy?, against hierarchy: Hierarchy,
        featureDim: Int, at place: String
    ) throws {
        if let trained, trained != hierarchy {
            throw ToolError(
                "checkpoint was trained with hierarchy \(describe(trained)), the document has \(describe(hierarchy))",
                at: place, hint: "evaluate a model on data labelled with the hierarchy it was trained on")
        }
        let (coarse, fine): (Int?, Int) = {
            switch configuration {
            case .hmil(let o): return (o.coarseClasses, o.fineClasses)
            case .abmil(let o): return (nil, o.classes)
            }
        }()
        if fine != hierarchy.fineCount || (coarse.map { $0 != hierarchy.coarseCount } ?? false) {
            throw ToolError(
                "checkpoint's model has \(coarse.map { "\($0) coarse and " } ?? "")\(fine) fine classes, "
                    + "the document's hierarchy \(hierarchy.coarseCount) coarse and \(hierarchy.fineCount) fine", at: place,
                hint: "evaluate a model on data labelled with the hierarchy it was trained on")
        }
        if configuration.featureDim != featureDim {
            throw ToolError(
                "checkpoint expects \(configuration.featureDim) features per instance, the document's packs hold \(featureDim)",
                at: place, hint: "extract the features of new data with the model's feature extractor")
        }
    }

    /// `coarse [a, b] / fine [x, y, z]`, short enough for one line.
    static func describe(_ h: Hierarchy) -> String {
        func list(_ names: [String]) -> String {
            names.count <= 8 ? names.joined(separator: ", ") : names.prefix(8).joined(separator: ", ") + ", … (\(names.count))"
        }
        let parents = h.fine.map { "\($0)→\(h.parent[$0] ?? "?")" }
        return "(coarse \(list(h.coarse)); fine \(list(parents)))"
    }
}
