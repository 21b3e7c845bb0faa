import Foundation
import Shared

/// The demo's results: one row per run, cross-validated test metrics (mean ± sample std over folds) of
/// both levels and the key-garment AUC of the attention, as plain text (stdout) and Markdown (README).
struct ResultsTable {
    struct Row {
        var run: String
        var cells: [String]
    }

    /// The table's numbers for programs (`results.json`): per run, each metric's cross-fold mean and std
    /// and the key-garment AUCs.
    struct RunNumbers: Codable {
        var run: String
        var fine: [String: CrossFoldStatistic]
        var coarse: [String: CrossFoldStatistic]
        /// "coarse" (the coarse head) or "coarse_from_fine" (a flat model).
        var coarseLevel: String
        var keyAUCFineAttention: Double?
        var keyAUCFineAttentionPerBag: Double?
        var keyAUCCoarseAttention: Double?
        var attentionBags: Int

        enum CodingKeys: String, CodingKey {
            case run, fine, coarse
            case coarseLevel = "coarse_level"
            case keyAUCFineAttention = "key_auc_fine_attention"
            case
                keyAUCFineAttentionPerBag = "key_auc_fine_attention_per_bag"
            case keyAUCCoarseAttention = "key_auc_coarse_attention"
            case
                attentionBags = "attention_bags"
        }
    }

    static let headers = [
        "fine acc", "fine AUC", "fine F1", "coarse acc", "coarse AUC", "coarse F1",
        "key AUC fine attn", "per bag", "key AUC coarse attn"
    ]
    let rows: [Row]
    let notes: [String]
    let numbers: [RunNumbers]

    init(runs: [RunResults]) {
        var notes: [String] = []
        var usedCoarseFromFine = false
        var numbers: [RunNumbers] = []
        rows = runs.map { run in
            let test = run.evaluation.summary[.test]
            let fine = test?.levels[.fine]
            // A flat model has no coarse head: its coarse level is the fine probabilities summed per parent.
            var coarse = test?.levels[.coarse]
            var coarseNote = ""
            if coarse?.metrics[.accuracy]?.mean == nil {
                coarse = test?.levels[.coarseFromFine]
                coarseNote = "*"
                usedCoarseFromFine = true
            }
            func cell(_ level: LevelSummary?, _ metric: ScalarMetric, _ note: String = "") -> String {
                guard let s = level?.metrics[metric], let mean = s.mean else { return "—" }
                return String(format: "%.3f", mean) + (s.std.map { String(format: " ± %.3f", $0) } ?? "") + note
            }
            func metrics(_ level: LevelSummary?) -> [String: CrossFoldStatistic] {
                Dictionary(uniqueKeysWithValues: (level?.metrics ?? [:]).map { ($0.key.rawValue, $0.value) })
            }
            numbers.append(
                RunNumbers(
                    run: run.name, fine: metrics(fine), coarse: metrics(coarse),
                    coarseLevel: coarseNote.isEmpty ? "coarse" : "coarse_from_fine",
                    keyAUCFineAttention: run.fineAttention.pooledAUC,
                    keyAUCFineAttentionPerBag: run.fineAttention.bagMeanAUC,
                    keyAUCCoarseAttention: run.coarseAttention?.pooledAUC, attentionBags: run.fineAttention.bags))
            func auc(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "—" }
            return Row(
                run: run.name,
                cells: [
                    cell(fine, .accuracy), cell(fine, .aucMacro), cell(fine, .f1Macro),
                    cell(coarse, .accuracy, coarseNote), cell(coarse, .aucMacro, coarseNote), cell(coarse, .f1Macro, coarseNote),
                    auc(run.fineAttention.pooledAUC), auc(run.fineAttention.bagMeanAUC), auc(run.coarseAttention?.pooledAUC)
                ])
        }
        if usedCoarseFromFine {
            notes.append("* no coarse head: coarse level from the fine probabilities summed per parent class")
        }
        if let first = runs.first {
            let folds = first.evaluation.folds.count
            let a = first.fineAttention
            notes.append("test parts of \(folds) folds; F1 and AUC are macro over classes; ± is the sample std over folds")
            notes.append(
                "key AUC (hmil-eval --instance-labels): instance-level AUC of the attention row of the bag's true class "
                    + "(flat model: its one row), key vs background garments, pooled over the \(a.bags) test bags with key "
                    + "garments of all folds (\(a.positives) key of \(a.instances) garments; attention × bag size); "
                    + "per bag: mean of each bag's AUC")
        }
        self.notes = notes
        self.numbers = numbers
    }

    var text: String {
        let all = [["run"] + ResultsTable.headers] + rows.map { [$0.run] + $0.cells }
        let widths = (0..<all[0].count).map { c in all.map { $0[c].count }.max()! }
        var out = ""
        for (i, line) in all.enumerated() {
            out +=
                zip(line, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces) + "\n"
            if i == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        return out + notes.map { "  " + $0 + "\n" }.joined()
    }

    var markdown: String {
        var out = "| run | " + ResultsTable.headers.joined(separator: " | ") + " |\n"
        out += "|" + String(repeating: " --- |", count: ResultsTable.headers.count + 1) + "\n"
        for row in rows { out += "| \(row.run) | " + row.cells.joined(separator: " | ") + " |\n" }
        return out + "\n" + notes.map { $0 + "  \n" }.joined()
    }
}
