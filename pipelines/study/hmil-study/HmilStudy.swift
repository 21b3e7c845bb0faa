import ArgumentParser
import Foundation
import Shared

/// Summarises a study made by `make -C pipelines study` (pipelines/study.mk): every run on every
/// seed's folds, each compared pair by pair with a baseline run (see StudyDocument for study.json).
@main
struct HmilStudy: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "hmil-study",
        abstract:
            "Compare runs over fold×seed pairs: mean ± std per run, paired differences to a baseline with a 95 % t-interval and a Wilcoxon p.",
        discussion: """
            Reads WORK/seed_<s>/runs/<run>/eval.json (hmil.eval/1, as pipelines/Makefile makes it with \
            WORK=WORK/seed_<s> SEED=<s>) for every run and seed; every run of a seed must be evaluated on \
            the seed's same folds. Per fold it reads the test part's fine, coarse and coarse_from_fine \
            accuracy, balanced accuracy and macro AUC, the instance-attention AUCs of hmil-eval \
            --instance-labels when present (else "—"), and the training CPU seconds hmil-train recorded. \
            Writes study.json and study.md into --out and prints study.md. The Wilcoxon test follows \
            scipy.stats.wilcoxon's defaults (scipy 1.17): zero differences dropped; the exact null \
            distribution when n ≤ 50 without zeros or ties; all sign flips when n ≤ 13 with zeros or \
            ties; else the normal approximation with tie correction.
            """)

    @Argument(help: "The study's folder, holding seed_<s>/ for each seed.")
    var work: String

    @Option(parsing: .upToNextOption, help: "Runs to compare, in the order of the tables.")
    var runs: [String]

    @Option(parsing: .upToNextOption, help: "Seeds of the study (each a seed_<s> folder).")
    var seeds: [UInt64]

    @Option(help: "The run the others are compared with. (default: the first of --runs)")
    var baseline: String?

    @Option(help: "Folder for study.json and study.md. (default: WORK)")
    var out: String?

    func run() throws {
        ToolRunner.run("hmil-study") {
            guard Set(runs).count == runs.count else { throw ToolError("--runs names a run twice (\(runs.joined(separator: " ")))") }
            guard Set(seeds).count == seeds.count else { throw ToolError("--seeds names a seed twice") }
            if let baseline, !runs.contains(baseline) {
                throw ToolError(
                    "--baseline '\(baseline)' is not one of --runs (\(runs.joined(separator: " ")))",
                    hint: "name one of the runs, or leave --baseline out to compare with the first")
            }
            let study = try StudyDocument(work: work, runs: runs, seeds: seeds, baseline: baseline ?? runs[0])
            let folder = out ?? work
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let markdown = StudyMarkdown(study: study).text
            try AtomicFile.write(DocumentIO.encode(study), to: folder + "/study.json")
            try AtomicFile.write(Data(markdown.utf8), to: folder + "/study.md")
            try StandardOutput.write(Data(markdown.utf8))
        }
    }
}
