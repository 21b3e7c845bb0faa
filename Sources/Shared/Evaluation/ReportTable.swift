import Foundation

/// The report as people read it: per part and level, a table in the shape of scikit-learn's
/// `classification_report` whose cells are the cross-fold mean ± sample std (just the value with one
/// fold), then the level's other metrics. An undefined metric shows as "—" with the folds it is missing on.
/// With instance labels, each part ends with a table of the attention's key-instance AUCs.
public enum ReportTable {
    public static func render(_ report: EvaluationReport) -> String {
        var out = ""
        for part in EvaluationPart.allCases {
            guard let summary = report.summary[part] else { continue }
            let folds = report.folds.filter { $0.parts[part] != nil }
            for level in EvaluationLevel.allCases {
                guard let levelSummary = summary.levels[level] else { continue }
                let levelReports = folds.compactMap { $0.parts[part]?.levels[level] }
                let slides = levelReports.reduce(0) { $0 + $1.slides }
                let foldWord = levelReports.count == 1 ? "1 fold" : "\(levelReports.count) folds, mean ± std across folds"
                out += table(
                    title: "\(describe(level, report)) level, \(part.rawValue) part (\(slides) slides, \(foldWord))",
                    summary: levelSummary, reports: levelReports, consistency: summary.hierarchyConsistency[level])
                out += "\n"
            }
            if let attention = summary.instanceAttention {
                let scored = folds.filter { $0.parts[part]?.instanceAttention != nil }.count
                let foldWord = scored == 1 ? "1 fold" : "\(scored) folds, mean ± std across folds"
                out += attentionTable(title: "attention on key instances, \(part.rawValue) part (\(foldWord))", attention) + "\n"
            }
        }
        if let external = report.external { out += externalTables(external, beta: report.hierarchyBeta) }
        return out
    }

    /// The external data: one line of counts, then a table per level of the labelled slides' metrics.
    static func externalTables(_ external: ExternalReport, beta: Double?) -> String {
        let folds = external.folds.count == 1 ? "fold \(external.folds[0])'s model" : "mean of \(external.folds.count) folds' models"
        var out = "external data \(external.dataset): \(external.slides) slides, \(external.labelled) labelled, \(folds)\n"
        guard let labelled = external.labelledSlides,
            let summary = Evaluator.summarize([FoldReport(fold: 0, parts: [.test: labelled])])[.test]
        else {
            return out + "  no labels: predictions only (external/<level>/predictions.csv)\n\n"
        }
        out += "\n"
        for level in EvaluationLevel.allCases {
            guard let levelSummary = summary.levels[level], let levelReport = labelled.levels[level] else { continue }
            out += table(
                title: "\(describe(level, report: nil, beta: beta)) level, external data (\(levelReport.slides) labelled slides, \(folds))",
                summary: levelSummary, reports: [levelReport], consistency: summary.hierarchyConsistency[level])
            out += "\n"
        }
        return out
    }

    /// The level's name, with β for the hierarchical decision.
    static func describe(_ level: EvaluationLevel, _ report: EvaluationReport?) -> String {
        describe(level, report: report, beta: report?.hierarchyBeta)
    }

    static func describe(_ level: EvaluationLevel, report: EvaluationReport?, beta: Double?) -> String {
        guard level == .fineHierarchical, let beta else { return ResultsWriter.describe(level) }
        return ResultsWriter.describe(level) + " (β = \(PredictionCSV.pythonText(beta)))"
    }

    /// One row per attention level: the folds' pooled and bag-mean AUCs (mean ± std), the same over all
    /// folds' bags at once, and the bags scored and left out (summed over the folds).
    static func attentionTable(title: String, _ attention: [AttentionLevel: InstanceAttentionSummary]) -> String {
        let headers = ["pooled AUC", "bag mean AUC", "all folds", "bag mean", "bags", "instances", "key", "no key", "all key", "no labels"]
        var rows: [[String]] = []
        for level in AttentionLevel.allCases {
            guard let s = attention[level] else { continue }
            let all = s.allFolds
            func auc(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "—" }
            func count(_ value: Int?) -> String { value.map(String.init) ?? "—" }
            rows.append([
                "\(level.rawValue) attention", cell(s.pooledAUC), cell(s.bagMeanAUC), auc(all?.pooledAUC), auc(all?.bagMeanAUC),
                count(all?.bags), count(all?.instances), count(all?.positives), count(all?.bagsWithoutPositives),
                count(all?.bagsWithoutNegatives), count(all?.bagsWithoutLabels)
            ])
        }
        let widths =
            [max(16, rows.map { $0[0].count }.max() ?? 0)]
            + headers.indices.map { c in
                max(headers[c].count, rows.map { $0[c + 1].count }.max() ?? 0) + 2
            }
        func pad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
        func line(_ cells: [String]) -> String { zip(cells, widths).map { pad($0, $1) }.joined() + "\n" }
        var text = title + "\n" + line([""] + headers)
        for row in rows { text += line(row) }
        text += "  pooled: one AUC over the instances of all scored bags, attention × bag size; bag mean: mean of each bag's AUC;\n"
        text += "  all folds: every fold's bags in one set; bags left out (no key, all key, no labels) are summed over the folds\n"
        return text
    }

    static func table(title: String, summary: LevelSummary, reports: [LevelReport], consistency: CrossFoldStatistic?) -> String {
        let classes = reports.first?.classes ?? []
        let slides = reports.reduce(0) { $0 + $1.slides }
        let nameWidth = max(12, classes.map(\.count).max() ?? 0)
        let cellWidth = 15
        func pad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
        func row(_ name: String, _ cells: [String], _ support: String) -> String {
            pad(name, nameWidth) + cells.map { pad($0, cellWidth) }.joined() + pad(support, 9) + "\n"
        }

        var text = title + "\n"
        text += row("", ["precision", "recall", "f1-score", "specificity", "auc"], "support") + "\n"
        for (k, name) in classes.enumerated() {
            let stats = summary.perClass[name] ?? [:]
            let support = reports.reduce(0) { $0 + $1.perClass[k].support }
            text += row(name, ["precision", "recall", "f1", "specificity", "auc"].map { cell(stats[$0]) }, String(support))
        }
        text += "\n"
        text += row("accuracy", ["", "", cell(summary.metrics[.accuracy]), "", ""], String(slides))
        text += row(
            "macro avg",
            [
                cell(summary.metrics[.precisionMacro]), cell(summary.metrics[.recallMacro]),
                cell(summary.metrics[.f1Macro]), "", cell(summary.metrics[.aucMacro])
            ], String(slides))
        text += row(
            "weighted avg",
            [
                cell(summary.metrics[.precisionWeighted]), cell(summary.metrics[.recallWeighted]),
                cell(summary.metrics[.f1Weighted]), "", ""
            ], String(slides))
        text += "\n"
        text += line("balanced accuracy", summary.metrics[.balancedAccuracy])
        text += line("quadratic kappa", summary.metrics[.kappaQuadratic])
        text += line("macro AUC (one-vs-rest)", summary.metrics[.aucMacro])
        if let consistency {
            text += line("hierarchy consistency", consistency)
        }
        let leftOut = Set(reports.flatMap(\.aucClassesLeftOut)).sorted()
        if !leftOut.isEmpty {
            text += "  left out of the macro AUC on some fold (not in its labels): \(leftOut.joined(separator: ", "))\n"
        }
        return text
    }

    static func cell(_ stat: CrossFoldStatistic?) -> String {
        guard let stat, let mean = stat.mean else { return "—" }
        guard let std = stat.std else { return String(format: "%.3f", mean) }
        return String(format: "%.3f ± %.3f", mean, std)
    }

    static func line(_ name: String, _ stat: CrossFoldStatistic?) -> String {
        guard let stat else { return "" }
        var text = "  " + name.padding(toLength: 26, withPad: " ", startingAt: 0) + cell(stat)
        if let sem = stat.sem { text += String(format: "  (sem %.3f)", sem) }
        if !stat.undefinedFolds.isEmpty {
            text +=
                "  undefined on fold\(stat.undefinedFolds.count > 1 ? "s" : "") "
                + stat.undefinedFolds.map(String.init).joined(separator: ", ")
        }
        return text + "\n"
    }
}
