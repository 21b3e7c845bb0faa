import Foundation
import Shared

/// study.md: the runs side by side (mean ± std over the fold×seed pairs), then each run against the
/// baseline (mean paired difference, its 95 % t-interval, Wilcoxon p, wins/losses/ties), then the flags.
struct StudyMarkdown {
    let study: StudyDocument

    var text: String {
        let shown = StudyMetric.all.filter { $0.label != nil }
        let seeds = study.seeds.map(String.init).joined(separator: " ")
        let folds = Set(study.pairs.map(\.fold)).count
        var lines: [String] = []
        lines.append("# Study: \(study.runs.count) runs × \(study.pairs.count) fold×seed pairs (seeds \(seeds), \(folds) folds each)")
        lines.append("")
        lines.append(
            "Test parts; mean ± sample std over the pairs. Coarse: the coarse head, or summed fine probabilities "
                + "for a run without one (ABMIL). CPU: training, user + system, summed over every fold and seed.")
        lines.append("")
        lines.append(row(["run"] + shown.map { $0.label! } + ["CPU"]))
        lines.append(row(Array(repeating: "---", count: shown.count + 2)))
        for run in study.runs {
            let cells = shown.map { metric -> String in
                let values = run.metrics[metric.key]!.summary
                guard let mean = values.mean else { return "—" }
                let std = values.std.map { " ± " + fixed($0) } ?? ""
                let coarse = metric.key.hasPrefix("coarse_") && run.coarseLevel == "coarse_from_fine" ? "*" : ""
                return fixed(mean) + std + coarse
            }
            lines.append(row([run.name] + cells + [cpu(run)]))
        }
        lines.append("")
        lines.append("\\* no coarse head: the fine probabilities summed per parent class.")
        lines.append("")

        lines.append("## Against `\(study.baseline)`, pair by pair")
        lines.append("")
        lines.append(
            "Differences run − \(study.baseline) over the pairs where both are defined: mean, 95 % Student-t interval, "
                + "two-sided Wilcoxon signed-rank p (as scipy.stats.wilcoxon), pairs above / below / equal.")
        lines.append("")
        lines.append(row(["run", "metric", "mean difference", "95 % interval", "Wilcoxon p", "above/below/equal", "pairs"]))
        lines.append(row(Array(repeating: "---", count: 7)))
        for run in study.runs {
            guard let versus = run.versusBaseline else { continue }
            for metric in shown {
                let d = versus[metric.key]!
                guard d.n > 0, let mean = d.mean else { continue }
                let interval = d.ci95.map { "[\(signed($0[0])), \(signed($0[1]))]" } ?? "—"
                let p =
                    d.wilcoxonP.map {
                        String(format: "%.3g", $0) + " (\(d.wilcoxonMethod!.rawValue.replacingOccurrences(of: "_", with: " ")))"
                    } ?? "—"
                lines.append(row([run.name, metric.label!, signed(mean), interval, p, "\(d.wins)/\(d.losses)/\(d.ties)", String(d.n)]))
            }
        }
        lines.append("")

        lines.append("## Runs")
        lines.append("")
        for run in study.runs {
            let options = run.trainOptions.first.flatMap { $0 }.map { "`hmil-train \($0)`" } ?? "(no train.options)"
            lines.append(
                "- `\(run.name)`: \(options) (seed \(study.seeds.first.map(String.init) ?? ""); the other seeds differ only in --seed)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func row(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |" }
    private func fixed(_ x: Double) -> String { String(format: "%.3f", x) }
    private func signed(_ x: Double) -> String { (x >= 0 ? "+" : "−") + String(format: "%.3f", abs(x)) }

    private func cpu(_ run: StudyDocument.Run) -> String {
        guard let seconds = run.cpuSeconds else {
            return run.cpuSecondsFolds == 0 ? "—" : "— (\(run.cpuSecondsFolds) of \(study.pairs.count) folds recorded)"
        }
        let total = Int(seconds.rounded())
        return total >= 3600
            ? String(format: "%dh %02dm", total / 3600, total / 60 % 60)
            : String(format: "%dm %02ds", total / 60, total % 60)
    }
}
