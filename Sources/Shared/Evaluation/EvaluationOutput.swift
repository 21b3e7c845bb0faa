import Foundation

/// Where hmil-eval's results go: files into RESULTS, the document (or the table) to stdout, the table
/// and warnings to stderr.
public enum EvaluationOutput {
    public enum Format: String, CaseIterable, Sendable {
        /// The whole pipeline document (hmil.eval/1) on stdout, the table on stderr.
        case json
        /// The table on stdout (the JSON still goes into RESULTS/eval.json).
        case table
    }

    /// The document's file name inside RESULTS.
    public static let documentName = "eval.json"

    /// Folder of the external data's files inside RESULTS.
    public static let externalFolder = "external"
    /// Folder of the attention files inside RESULTS (external data: RESULTS/external/attention).
    public static let attentionFolder = "attention"

    public static func publish(
        _ document: PipelineDocument, predictions: [PartPredictions], external: ExternalPredictions? = nil,
        out: String?, format: Format, quiet: Bool
    ) throws {
        guard let report = document.evaluation else { preconditionFailure("publish an evaluated document") }
        if let out {
            try ResultsWriter.write(report, predictions: predictions, to: out)
            try external?.write(to: out + "/" + externalFolder)
        }
        let table = ReportTable.render(report)
        switch format {
        case .json:
            try DocumentIO.emit(document, saveIn: out, as: documentName)
            if !quiet { StandardError.write(table) }
        case .table:
            if let out { try AtomicFile.write(DocumentIO.encode(document.savedIn(out)), to: out + "/" + documentName) }
            try StandardOutput.write(Data(table.utf8))
        }
    }

    /// One line per fold, part and level whose macro AUC is undefined, saying why (never a number).
    /// `names` gives a fold's source (e.g. its CSV file) when known.
    public static func undefinedAUCWarnings(_ report: EvaluationReport, names: [Int: String] = [:]) -> [String] {
        var lines: [String] = []
        for fold in report.folds {
            for part in EvaluationPart.allCases {
                guard let partReport = fold.parts[part] else { continue }
                for level in EvaluationLevel.allCases {
                    guard let estimate = partReport.levels[level]?.metrics[.aucMacro], estimate.value == nil else { continue }
                    let source = names[fold.fold].map { ", \($0)" } ?? ""
                    lines.append(
                        "AUC undefined on fold \(fold.fold) (\(part.rawValue), \(ResultsWriter.describe(level)) level\(source)): "
                            + (estimate.undefined ?? "undefined") + "; reported as null")
                }
            }
        }
        if let labelled = report.external?.labelledSlides {
            for level in EvaluationLevel.allCases {
                guard let estimate = labelled.levels[level]?.metrics[.aucMacro], estimate.value == nil else { continue }
                lines.append(
                    "AUC undefined on the external data (\(ResultsWriter.describe(level)) level, \(report.external!.dataset)): "
                        + (estimate.undefined ?? "undefined") + "; reported as null")
            }
        }
        return lines
    }
}
