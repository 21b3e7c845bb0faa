import Foundation

/// Folds from the official HMIL release (`--from-hmil DIR`): per fold k, `train_splits_k.pkl`,
/// `val_splits_k.pkl` and `test_splits_k.pkl`, each a pickled list of `[slide_id, fine_label, path]`
/// (the path to the release's feature file is ignored). Read with the restricted pickle machine and no
/// globals allowed: these files are plain lists of strings.
///
/// Without a labels CSV, slides and labels come from the pickles (in order of first appearance) and
/// each slide is its own patient. With one, the CSV gives the slides and patients, and every pickled
/// slide must be in it with the same label.
public enum HMILSplitImport {
    public static func plan(folder: String, labelled: [LabeledSlide]?, labelsSource: String?, hierarchy: Hierarchy) throws
        -> SplitOutcome
    {
        var folds: [FoldRecord] = []
        var pickled: [LabeledSlide] = []
        var pickledLabel: [String: (label: String, file: String)] = [:]
        while FileManager.default.fileExists(atPath: path(folder, "train", folds.count)) {
            let k = folds.count
            var parts: [[String]] = []
            for part in ["train", "val", "test"] {
                let file = path(folder, part, k)
                var ids: [String] = []
                for (index, entry) in try readEntries(file).enumerated() {
                    guard hierarchy.fineIndex(of: entry.label) != nil else {
                        throw ToolError(
                            "label '\(entry.label)' of slide '\(entry.slideID)' (entry \(index)) is not a fine label of the hierarchy",
                            at: file, hint: "fine labels are \(hierarchy.fine.joined(separator: ", "))")
                    }
                    if let seen = pickledLabel[entry.slideID] {
                        guard seen.label == entry.label else {
                            throw ToolError(
                                "slide '\(entry.slideID)' is labelled '\(entry.label)' here and '\(seen.label)' in \(seen.file)",
                                at: file)
                        }
                    } else {
                        pickledLabel[entry.slideID] = (entry.label, file)
                        pickled.append(LabeledSlide(slideID: entry.slideID, caseID: entry.slideID, label: entry.label))
                    }
                    ids.append(entry.slideID)
                }
                parts.append(ids)
            }
            folds.append(FoldRecord(fold: k, train: parts[0], val: parts[1], test: parts[2]))
        }
        guard !folds.isEmpty else {
            throw ToolError(
                "no HMIL split pickles", at: path(folder, "train", 0),
                hint: "point --from-hmil at a folder with train_splits_0.pkl, val_splits_0.pkl, test_splits_0.pkl")
        }

        let slides: [LabeledSlide]
        let source: String
        if let labelled, let labelsSource {
            let labelOf = Dictionary(uniqueKeysWithValues: labelled.map { ($0.slideID, $0) })
            for slide in pickled {
                guard let row = labelOf[slide.slideID] else { continue }  // reported by checkFolds with its file
                guard row.label == slide.label else {
                    let file = pickledLabel[slide.slideID]!.file
                    throw ToolError(
                        "slide '\(slide.slideID)' is labelled '\(row.label)' here but '\(slide.label)' in \(file)",
                        at: "\(labelsSource), line \(row.line)")
                }
            }
            slides = labelled
            source = labelsSource
        } else {
            slides = pickled
            source = folder
        }
        // Checks every label against the hierarchy; patients' labels do not matter for imported folds.
        _ = try PatientTable(slides: slides, hierarchy: hierarchy, voting: .max, source: source)
        let caseOf = Dictionary(uniqueKeysWithValues: slides.map { ($0.slideID, $0.caseID) })
        let warnings = try SplitPlanner.checkFolds(
            folds, caseOf: caseOf, where: { "\(folder)/*_splits_\($0).pkl" },
            missingHint: "add the slide to \(labelsSource ?? "the labels CSV")")
        let document = PipelineDocument(
            format: PipelineDocument.splitFormat, hierarchy: hierarchy, scheme: "hmil-import",
            seed: nil, slides: SplitPlanner.slideRecords(slides), folds: folds)
        return SplitOutcome(document: document, warnings: warnings)
    }

    static func path(_ folder: String, _ part: String, _ fold: Int) -> String {
        "\(folder)/\(part)_splits_\(fold).pkl"
    }

    /// The `[slide_id, label, ...]` entries of one pickle.
    static func readEntries(_ file: String) throws -> [(slideID: String, label: String)] {
        guard FileManager.default.fileExists(atPath: file) else {
            throw ToolError("missing split pickle", at: file, hint: "each fold needs train, val and test pickles")
        }
        let value = try PickleMachine(allowedGlobals: []).parse(contentsOfFile: file)
        guard case .list(let entries) = value else {
            throw ToolError("pickle holds \(value.kindDescription), not a list of [slide_id, label, path]", at: file)
        }
        return try entries.enumerated().map { index, entry in
            guard let items = entry.items, items.count >= 2, let slideID = items[0].stringValue, !slideID.isEmpty,
                let label = items[1].stringValue ?? items[1].intValue.map(String.init), !label.isEmpty
            else {
                let shape = entry.items.map { "[" + $0.map(\.kindDescription).joined(separator: ", ") + "]" } ?? entry.kindDescription
                throw ToolError("entry \(index) is \(shape), not [slide_id, label, path] with non-empty strings", at: file)
            }
            return (slideID, label)
        }
    }
}
