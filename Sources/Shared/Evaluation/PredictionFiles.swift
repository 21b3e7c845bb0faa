import Foundation

/// `hmil-eval --predictions`: scores prediction files in CLAM's `fold_k.csv` layout written by any tool,
/// with the same metric code as hmil's own models, so CLAM's and hmil's results meet one ruler.
///
/// A fine-level file yields the fine level and, through the hierarchy, the coarse level of summed fine
/// probabilities (`coarse_from_fine`); a coarse-level file yields the coarse level.
public enum PredictionFiles {
    public enum Level: String, CaseIterable, Sendable {
        case fine, coarse
    }

    /// k from a file named `fold_<k>.csv` (CLAM's name), else nil.
    public static func foldNumber(of path: String) -> Int? {
        let name = URL(fileURLWithPath: path).lastPathComponent
        guard name.hasPrefix("fold_"), name.hasSuffix(".csv") else { return nil }
        let digits = name.dropFirst(5).dropLast(4)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return Int(digits)
    }

    /// Reads every file as one fold's `part`. The fold number is k of `fold_<k>.csv`, else the file's
    /// position among `paths`; a fold given twice is an error.
    public static func load(paths: [String], hierarchy: Hierarchy, level: Level, part: EvaluationPart) throws -> [PartPredictions] {
        var seen: [Int: String] = [:]
        var parts: [PartPredictions] = []
        for (position, path) in paths.enumerated() {
            let fold = foldNumber(of: path) ?? position
            if let other = seen[fold] {
                throw ToolError(
                    "fold \(fold) given twice (\(other) and \(path))", at: path,
                    hint: "name files fold_<k>.csv with distinct k, or pass each fold once")
            }
            seen[fold] = path
            switch level {
            case .fine:
                let fine = try PredictionCSV.read(path: path, classes: hierarchy.fine, level: "fine")
                let parent = hierarchy.parentIndex
                parts.append(
                    PartPredictions(
                        fold: fold, part: part,
                        levels: [
                            .fine: fine, .coarseFromFine: fine.summedIntoParents(parent, coarseClasses: hierarchy.coarse)
                        ], fineParent: parent))
            case .coarse:
                let coarse = try PredictionCSV.read(path: path, classes: hierarchy.coarse, level: "coarse")
                parts.append(PartPredictions(fold: fold, part: part, levels: [.coarse: coarse], fineParent: nil))
            }
        }
        return parts
    }

    /// The pipeline document for scored files, which came without one: the hierarchy, one fold per file
    /// listing its slides in `part`, and (for fine-level files) the slides with their fine labels. The
    /// files carry no patient ids, so each slide's case id is its slide id. A slide labelled differently
    /// in two files is an error.
    public static func document(hierarchy: Hierarchy, parts: [PartPredictions], paths: [String]) throws -> PipelineDocument {
        var slides: [SlideRecord] = []
        var labelOf: [String: (label: String, path: String)] = [:]
        for (part, path) in zip(parts, paths) {
            guard let fine = part.levels[.fine] else { continue }
            for (id, label) in zip(fine.slideIDs, fine.labels) {
                let name = hierarchy.fine[label]
                if let earlier = labelOf[id] {
                    if earlier.label != name {
                        throw ToolError(
                            "slide is '\(earlier.label)' in \(earlier.path) but '\(name)' here", at: "\(path), slide \(id)",
                            hint: "a slide has one label in every fold")
                    }
                    continue
                }
                labelOf[id] = (name, path)
                slides.append(SlideRecord(slideID: id, caseID: id, label: name))
            }
        }
        let folds = parts.sorted { $0.fold < $1.fold }.map { p in
            FoldRecord(fold: p.fold, train: [], val: p.part == .val ? p.slideIDs : [], test: p.part == .test ? p.slideIDs : [])
        }
        return PipelineDocument(
            format: PipelineDocument.evalFormat, hierarchy: hierarchy, scheme: "predictions", seed: nil,
            slides: slides, folds: folds)
    }
}
