import ArgumentParser
import Shared

extension PredictionFiles.Level: ExpressibleByArgument {}
extension EvaluationPart: ExpressibleByArgument {}
extension EvaluationOutput.Format: ExpressibleByArgument {}

@main
struct HmilEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hmil-eval",
        abstract: "Scores each fold's predictions: the metrics document (hmil.eval/1) on stdout, CSVs and SVG plots in --out.",
        discussion: """
        Metrics per fold, part and level (coarse, coarse_from_fine = summed fine probabilities, fine): accuracy, \
        balanced accuracy, macro and weighted precision/recall/F1, macro one-vs-rest AUC, quadratic kappa, per-class \
        specificity, confusion matrix, hierarchy consistency; per fold a percentile bootstrap interval; across \
        folds mean, sample std and standard error. Files in --out: <part>/<level>/fold_<k>.csv (CLAM's layout), \
        summary.csv, roc_fold_<k>.svg, confusion.svg, and eval.json.

        Examples:
          hmil-train ... | hmil-eval --out results/
          hmil-eval --predictions clam/fold_0.csv --predictions clam/fold_1.csv --hierarchy h.json --out results/
        """)

    @Argument(help: "The pipeline document from hmil-train (hmil.models/1); read from stdin when omitted or '-'. Not used with --predictions.")
    var document: String?

    @Option(help: "Folder for eval.json, the per-fold CSVs, summary.csv and SVG plots. (default: write no files)")
    var out: String?

    @Option(name: .customLong("predictions"),
            help: ArgumentHelp("A prediction file in CLAM's fold_k.csv layout (slide_id,Y,Y_hat,p_0..p_{C-1}) to score instead of a model; repeat for each fold. Its fold is k of fold_k.csv, else its position.",
                               valueName: "file.csv"))
    var predictionFiles: [String] = []

    @Option(help: ArgumentHelp("The hierarchy JSON ({\"coarse\": [...], \"fine\": [...], \"parent\": {...}}); required with --predictions.",
                               valueName: "h.json"))
    var hierarchy: String?

    @Option(help: "Level of the classes in the prediction files: fine (also scores the coarse level of summed fine probabilities) or coarse.")
    var level: PredictionFiles.Level = .fine

    @Option(help: "Which part the prediction files hold: test or val.")
    var part: EvaluationPart = .test

    @Option(help: "What goes to stdout: json (the whole document; the table goes to stderr) or table.")
    var format: EvaluationOutput.Format = .json

    @Option(help: "Bootstrap resamples per fold for the 95% intervals; 0 turns the bootstrap off.")
    var bootstrap: Int = 1000

    @Option(help: "Seed of the bootstrap resamples.")
    var seed: UInt64 = 1

    @Flag(help: "Do not print the table on stderr.")
    var quiet = false

    func validate() throws {
        guard (0 ... 100_000).contains(bootstrap) else { throw ValidationError("--bootstrap must be between 0 and 100000") }
        if predictionFiles.isEmpty {
            if hierarchy != nil { throw ValidationError("--hierarchy goes with --predictions; a pipeline document carries its own") }
        } else {
            if hierarchy == nil { throw ValidationError("--predictions needs --hierarchy h.json to name the classes") }
            if document != nil { throw ValidationError("give either a pipeline document or --predictions files, not both") }
        }
    }

    func run() throws {
        ToolRunner.run("hmil-eval") {
            let settings = BootstrapSettings(resamples: bootstrap, seed: seed)
            var doc: PipelineDocument
            let parts: [PartPredictions]
            var names: [Int: String] = [:]
            if let hierarchyPath = hierarchy {
                let hierarchy = try DocumentIO.decode(Hierarchy.self, from: DocumentIO.readInput(hierarchyPath, what: "hierarchy"),
                                                      source: hierarchyPath)
                try hierarchy.validate(source: hierarchyPath)
                parts = try PredictionFiles.load(paths: predictionFiles, hierarchy: hierarchy, level: level, part: part)
                for (position, path) in predictionFiles.enumerated() { names[PredictionFiles.foldNumber(of: path) ?? position] = path }
                doc = try PredictionFiles.document(hierarchy: hierarchy, parts: parts, paths: predictionFiles)
                doc.evaluation = Evaluator.evaluate(parts, bootstrap: settings, source: "predictions", inputs: predictionFiles)
            } else {
                let source = document ?? "stdin"
                doc = try DocumentIO.decode(PipelineDocument.self, from: DocumentIO.readInput(document), source: source)
                parts = try CheckpointPredictions.predict(document: doc, source: source)
                doc.format = PipelineDocument.evalFormat
                doc.evaluation = Evaluator.evaluate(parts, bootstrap: settings, source: "checkpoints")
            }
            for warning in EvaluationOutput.undefinedAUCWarnings(doc.evaluation!, names: names) {
                StandardError.write("hmil-eval: warning: \(warning)\n")
            }
            try EvaluationOutput.publish(doc, predictions: parts, out: out, format: format, quiet: quiet)
        }
    }
}
