import ArgumentParser
import Foundation
import Shared

/// `hmil-bench metrics`: how long the per-fold bootstrap takes on a PANDA-sized fold, next to the same
/// resamples scored the naive way (each resample materialised and every class's scores re-sorted),
/// which is what calling a metrics library per resample costs.
struct MetricsBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "metrics", abstract: "Bootstrap of the evaluation metrics.")

    @Option(help: "Slides in the fold (PANDA's fold 0 has 10,202 slides in all).")
    var slides = 10_202

    @Option(help: "Classes (PANDA: 6 ISUP grades).")
    var classes = 6

    @Option(help: "Bootstrap resamples.")
    var resamples = 1000

    func run() throws {
        var g = SeededGenerator(seed: 1)
        let labels = (0..<slides).map { _ in Int(g.next() % UInt64(classes)) }
        var probabilities: [Double] = []
        for label in labels {
            let row = (0..<classes).map { c in (g.nextUniform() + (c == label ? 0.5 : 0)) }
            let sum = row.reduce(0, +)
            probabilities += row.map { ($0 / sum * 1000).rounded() / 1000 }  // 3 decimals, so scores tie as in real CSVs
        }
        let predictions = LevelPredictions(
            classes: (0..<classes).map { "c\($0)" }, slideIDs: (0..<slides).map { "s\($0)" },
            labels: labels, probabilities: probabilities)
        let settings = BootstrapSettings(resamples: resamples, seed: 1)

        let start = Date()
        let report = Evaluator.evaluate(predictions, bootstrap: settings, stream: 0)
        let ours = Date().timeIntervalSince(start)

        // Reference: the same resamples, each materialised as a list of bags and every class re-ranked.
        let referenceResamples = max(1, resamples / 10)
        let referenceStart = Date()
        var generator = SeededGenerator(seed: 1, stream: 0)
        var weights = [Double](repeating: 0, count: slides)
        var checksum = 0.0
        for _ in 0..<referenceResamples {
            Bootstrap.drawMultiplicities(into: &weights, using: &generator)
            var bags: [Int] = []
            for (i, w) in weights.enumerated() { bags += repeatElement(i, count: Int(w)) }
            let resample = LevelPredictions(
                classes: predictions.classes, slideIDs: bags.map { predictions.slideIDs[$0] },
                labels: bags.map { labels[$0] },
                probabilities: bags.flatMap { b in (0..<classes).map { predictions.probability(bag: b, class: $0) } })
            checksum += LevelScorer(resample).scores().values[.aucMacro] ?? 0
        }
        let reference = Date().timeIntervalSince(referenceStart) / Double(referenceResamples) * Double(resamples)

        let ci = report.metrics[.aucMacro]?.ci95 ?? []
        print(
            String(
                format: "bootstrap of %d slides × %d classes, %d resamples: %.2f s (%.2f ms/resample, all 10 metrics)",
                slides, classes, resamples, ours, ours / Double(resamples) * 1000))
        print(
            String(
                format: "reference (resample materialised, scores re-sorted; %d resamples extrapolated): %.2f s  → %.1f× faster",
                referenceResamples, reference, reference / ours))
        print("macro AUC \(report.metrics[.aucMacro]?.value ?? .nan), 95% interval \(ci)  (checksum \(checksum))")
    }
}
