/// `summary.csv` of one part and level: CLAM's columns first (pandas `to_csv` with its index column:
/// `,folds,test_auc,test_acc`, one row per fold), then ours. CLAM writes -1 for an undefined AUC; we
/// leave the cell empty (pandas reads it as NaN) so no undefined metric passes for a number.
/// For the val part the columns are `val_auc`, `val_acc`, ….
public enum SummaryCSV {
    /// Our columns after CLAM's, in order.
    static let extraMetrics: [ScalarMetric] = [
        .balancedAccuracy, .precisionMacro, .recallMacro, .f1Macro, .precisionWeighted, .recallWeighted, .f1Weighted, .kappaQuadratic
    ]

    public static func encode(part: EvaluationPart, level: EvaluationLevel, folds: [FoldReport]) -> String {
        let prefix = part.rawValue + "_"
        let rows = folds.compactMap { fold in fold.parts[part].flatMap { p in p.levels[level].map { (fold.fold, p, $0) } } }
        let withConsistency = rows.contains { $0.1.hierarchyConsistency[level] != nil }
        var columns = ["", "folds", prefix + "auc", prefix + "acc"] + extraMetrics.map { prefix + $0.rawValue }
        if withConsistency { columns.append(prefix + "hierarchy_consistency") }
        var text = columns.joined(separator: ",") + "\n"
        for (row, (fold, part, report)) in rows.enumerated() {
            var cells = [String(row), String(fold), cell(report.metrics[.aucMacro]?.value), cell(report.metrics[.accuracy]?.value)]
            cells += extraMetrics.map { cell(report.metrics[$0]?.value) }
            if withConsistency { cells.append(cell(part.hierarchyConsistency[level]?.value)) }
            text += cells.joined(separator: ",") + "\n"
        }
        return text
    }

    static func cell(_ value: Double?) -> String { value.map(PredictionCSV.pythonText) ?? "" }
}
