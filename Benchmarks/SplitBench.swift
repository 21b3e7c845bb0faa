import ArgumentParser
import Foundation
import Shared

/// `hmil-bench split`: hmil-split's stages on 100 000 synthetic slides into 10 folds, next to a
/// reference (sorting the same slide ids) timed in the same run; then the per-fold class table of
/// kfold on the official BRACS slides.
struct SplitBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "split", abstract: "Labels CSV → folds → plan JSON, at 100 000 slides.")

    @Option(help: "Number of synthetic slides. (default: 100000)")
    var slides = 100_000

    @Option(help: "Number of folds. (default: 10)")
    var folds = 10

    @Option(help: "Folder with the official BRACS split pickles. (default: the test fixtures)")
    var bracs = "Tests/SharedTests/Fixtures/Splitting/hmil-official-splits/BRACS"

    func run() throws {
        let hierarchy = Hierarchy(
            coarse: ["benign", "atypical", "malignant"], fine: ["N", "PB", "UDH", "FEA", "ADH", "DCIS", "IC"],
            parent: [
                "N": "benign", "PB": "benign", "UDH": "benign", "FEA": "atypical", "ADH": "atypical",
                "DCIS": "malignant", "IC": "malignant"
            ])
        let csv = syntheticLabels(count: slides, classes: hierarchy.fine)
        print("split: \(slides) slides (\(csv.count >> 10) KiB of CSV), \(folds) folds")

        let ids = try LabelsCSV.parse(csv, source: "bench").map(\.slideID)
        let reference = time { _ = ids.sorted() }
        print(row("reference: sort the slide ids", reference, reference))

        var labelled: [LabeledSlide] = []
        print(row("read labels CSV", time { labelled = try! LabelsCSV.parse(csv, source: "bench") }, reference))
        var table: PatientTable!
        print(
            row(
                "group \(Set(labelled.map(\.caseID)).count) patients",
                time {
                    table = try! PatientTable(slides: labelled, hierarchy: hierarchy, voting: .max, source: "bench")
                }, reference))
        var kfold: [[[Int]]] = []
        print(
            row(
                "kfold split",
                time {
                    kfold = try! KFoldSplitter.split(table, classes: hierarchy.fine, options: .init(folds: folds), source: "bench").folds
                }, reference))
        print(
            row(
                "clam split (numpy MT19937)",
                time {
                    _ = try! CLAMSplitter.split(table, classes: hierarchy.fine, options: .init(folds: folds), source: "bench")
                }, reference))
        let document = PipelineDocument(
            format: PipelineDocument.splitFormat, hierarchy: hierarchy, scheme: "kfold", seed: 1,
            slides: labelled.map { SlideRecord(slideID: $0.slideID, caseID: $0.caseID, label: $0.label) },
            folds: kfold.enumerated().map { k, p in
                FoldRecord(fold: k, train: p[0].map { ids[$0] }, val: p[1].map { ids[$0] }, test: p[2].map { ids[$0] })
            })
        var bytes = 0
        print(row("encode plan JSON", time { bytes = try! DocumentIO.encode(document).count }, reference) + "  (\(bytes >> 20) MiB)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hmil-bench-split-\(getpid())").path
        print(row("write CLAM's 3 CSVs × \(folds) folds", time { try! CLAMSplitFiles.write(document, to: folder) }, reference))
        try? FileManager.default.removeItem(atPath: folder)

        try bracsTable(hierarchy: hierarchy)
    }

    /// kfold (seed 1, 10 folds, val 0.1) on the 545 official BRACS slides, each its own patient.
    func bracsTable(hierarchy: Hierarchy) throws {
        guard FileManager.default.fileExists(atPath: bracs + "/train_splits_0.pkl") else {
            print("\nBRACS table skipped: no pickles in \(bracs) (run from the repository root)")
            return
        }
        let plan = try HMILSplitImport.plan(folder: bracs, labelled: nil, labelsSource: nil, hierarchy: hierarchy)
        let slides = plan.document.slides.map { LabeledSlide(slideID: $0.slideID, caseID: $0.caseID, label: $0.label) }
        let table = try PatientTable(slides: slides, hierarchy: hierarchy, voting: nil, source: bracs)
        let split = try KFoldSplitter.split(table, classes: hierarchy.fine, options: .init(folds: 10), source: bracs)
        print("\nkfold on the official BRACS slides (\(slides.count) slides, case_id = slide_id, seed 1, 10 folds, val-frac 0.1)")
        print("test slides per class; then the sizes of train/val/test")
        let header = ["fold"] + hierarchy.fine + ["train", "val", "test"]
        print(header.map { $0.padding(toLength: 6, withPad: " ", startingAt: 0) }.joined(separator: " "))
        for (k, parts) in split.folds.enumerated() {
            var counts = [Int](repeating: 0, count: hierarchy.fine.count)
            for s in parts[2] { counts[table.slideLabels[s]] += 1 }
            let cells = [String(k)] + counts.map(String.init) + parts.map { String($0.count) }
            print(cells.map { $0.padding(toLength: 6, withPad: " ", startingAt: 0) }.joined(separator: " "))
        }
        var totals = [Int](repeating: 0, count: hierarchy.fine.count)
        for label in table.slideLabels { totals[label] += 1 }
        print((["all"] + totals.map(String.init)).map { $0.padding(toLength: 6, withPad: " ", startingAt: 0) }.joined(separator: " "))
    }

    /// A labels CSV: patients of 1–4 slides, skewed class sizes, rows shuffled.
    func syntheticLabels(count: Int, classes: [String]) -> [UInt8] {
        var generator = SeededGenerator(seed: 42)
        var rows: [String] = []
        rows.reserveCapacity(count)
        var patient = 0
        while rows.count < count {
            let label = classes[Int(generator.nextUniform() * generator.nextUniform() * Double(classes.count))]
            for _ in 0..<min(1 + Int(generator.next() % 4), count - rows.count) {
                rows.append("patient_\(patient),slide_\(rows.count),\(label)")
            }
            patient += 1
        }
        for i in stride(from: rows.count - 1, through: 1, by: -1) { rows.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
        return Array(("case_id,slide_id,label\n" + rows.joined(separator: "\n") + "\n").utf8)
    }

    /// CPU seconds of this thread (on a shared machine, wall time mostly measures the neighbours) and wall seconds.
    func time(_ body: () -> Void) -> (cpu: Double, wall: Double) {
        func now(_ clock: clockid_t) -> Double {
            var t = timespec()
            clock_gettime(clock, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
        }
        let cpu = now(CLOCK_THREAD_CPUTIME_ID)
        let wall = now(CLOCK_MONOTONIC)
        body()
        return (now(CLOCK_THREAD_CPUTIME_ID) - cpu, now(CLOCK_MONOTONIC) - wall)
    }

    func row(_ what: String, _ seconds: (cpu: Double, wall: Double), _ reference: (cpu: Double, wall: Double)) -> String {
        what.padding(toLength: 40, withPad: " ", startingAt: 0)
            + String(
                format: "%8.1f ms cpu %8.1f ms wall  %6.1f× reference", seconds.cpu * 1e3, seconds.wall * 1e3,
                seconds.cpu / reference.cpu)
    }
}
