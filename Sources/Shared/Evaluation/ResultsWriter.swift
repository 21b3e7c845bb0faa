import Foundation

/// Writes hmil-eval's files into RESULTS, each atomically:
///
/// ```
/// RESULTS/<part>/<level>/fold_<k>.csv       CLAM's per-fold predictions (slide_id,Y,Y_hat,p_0..)
/// RESULTS/<part>/<level>/summary.csv        CLAM's summary columns plus ours, one row per fold
/// RESULTS/<part>/<level>/roc_fold_<k>.svg   ROC curve of each class on fold k
/// RESULTS/<part>/<level>/confusion.svg      confusion matrix summed over the folds
/// ```
/// (the JSON document itself is saved by `DocumentIO.emit`). Part: test, val; level: coarse,
/// coarse_from_fine, fine, fine_hierarchical (with `--hierarchy-beta`).
public enum ResultsWriter {
    /// Writes every file; returns their paths in the order written.
    @discardableResult
    public static func write(_ report: EvaluationReport, predictions: [PartPredictions], to folder: String) throws -> [String] {
        var written: [String] = []
        func save(_ text: String, _ path: String) throws {
            try AtomicFile.write(Data(text.utf8), to: path)
            written.append(path)
        }
        let sorted = predictions.sorted { ($0.part.rawValue, $0.fold) < ($1.part.rawValue, $1.fold) }
        for part in EvaluationPart.allCases {
            let ofPart = sorted.filter { $0.part == part }
            for level in EvaluationLevel.allCases {
                let ofLevel = ofPart.compactMap { p in p.levels[level].map { (fold: p.fold, predictions: $0) } }
                guard let first = ofLevel.first else { continue }
                let directory = "\(folder)/\(part.rawValue)/\(level.rawValue)"
                var pooled = [[Int]](
                    repeating: [Int](repeating: 0, count: first.predictions.classCount), count: first.predictions.classCount)
                for (fold, levelPredictions) in ofLevel {
                    try save(PredictionCSV.encode(levelPredictions), "\(directory)/fold_\(fold).csv")
                    let scorer = LevelScorer(levelPredictions)
                    let series = levelPredictions.classes.indices.map {
                        SVGPlots.ROCSeries(name: levelPredictions.classes[$0], curve: scorer.rocCurve(of: $0))
                    }
                    try save(
                        SVGPlots.roc(
                            title: "ROC, \(describe(level)) level, fold \(fold) (\(part.rawValue), \(levelPredictions.count) slides)",
                            series: series),
                        "\(directory)/roc_fold_\(fold).svg")
                    for (truth, predicted) in zip(levelPredictions.labels, levelPredictions.predictions) { pooled[truth][predicted] += 1 }
                }
                try save(SummaryCSV.encode(part: part, level: level, folds: report.folds), "\(directory)/summary.csv")
                let folds = ofLevel.count == 1 ? "fold \(ofLevel[0].fold)" : "\(ofLevel.count) folds summed"
                try save(
                    SVGPlots.confusion(
                        title: "Confusion matrix, \(describe(level)) level (\(part.rawValue), \(folds))",
                        classes: first.predictions.classes, counts: pooled),
                    "\(directory)/confusion.svg")
            }
        }
        return written
    }

    static func describe(_ level: EvaluationLevel) -> String {
        switch level {
        case .coarse: return "coarse"
        case .coarseFromFine: return "coarse-from-fine"
        case .fine: return "fine"
        case .fineHierarchical: return "fine-hierarchical"
        }
    }
}
