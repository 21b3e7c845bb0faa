import ArgumentParser
import Shared

extension PredictionFiles.Level: ExpressibleByArgument {}
extension EvaluationPart: ExpressibleByArgument {}
extension EvaluationOutput.Format: ExpressibleByArgument {}

@main
struct HmilEval: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "hmil-eval",
        abstract: "Scores each fold's predictions: the metrics document (hmil.eval/1) on stdout, CSVs and SVG plots in --out.",
        discussion: """
            Metrics per fold, part and level (coarse, coarse_from_fine = summed fine probabilities, fine): accuracy, \
            balanced accuracy, macro and weighted precision/recall/F1, macro one-vs-rest AUC, quadratic kappa, per-class \
            specificity, confusion matrix, hierarchy consistency; per fold a percentile bootstrap interval; across \
            folds mean, sample std and standard error. Files in --out: <part>/<level>/fold_<k>.csv (CLAM's layout), \
            summary.csv, roc_fold_<k>.svg, confusion.svg, and eval.json; with --attention, \
            attention/fold_<k>/<slide_id>.csv (instance,x,y, then one column per attention row: coarse:<class>..., \
            fine:<class>...; the flat ABMIL model has one 'attention' column); with --dataset, \
            external/<level>/predictions.csv (mean over the folds' models) and external/<level>/fold_<k>.csv.

            With --instance-labels, each fold's attention is scored against known key instances (no file is \
            written for it): for the row of the bag's true fine class (ABMIL: its one row) and the row of its true \
            coarse class (HMIL), the instance-level ROC AUC of key against other instances, pooled over the \
            part's bags with each bag's attention times its instance count (1 = uniform attention), and the mean \
            of the per-bag AUCs; bags without key instances, with key instances only, or without rows are left \
            out and counted. With --hierarchy-beta, a level fine_hierarchical decides the fine class by \
            p(f) ∝ p_fine(f)·p_coarse(parent(f))^β.

            Examples:
              hmil-train ... | hmil-eval --out results/
              hmil-eval work/runs/hmil/fold_0.json work/runs/hmil/fold_1.json --out results/ --attention
              hmil-eval models.json --dataset new/dataset.json --out results/
              hmil-eval work/runs/hmil/fold_*.json --instance-labels key_instances.csv --hierarchy-beta 1 --out results/
              hmil-eval --predictions clam/fold_0.csv --predictions clam/fold_1.csv --hierarchy h.json --out results/
            """)

    @Argument(
        help: ArgumentHelp(
            "Models documents from hmil-train (hmil.models/1); several (e.g. one per fold from hmil-train --fold k) are merged when their plans are identical. Read from stdin when none is given or '-'. Not used with --predictions.",
            valueName: "models.json"))
    var documents: [String] = []

    @Option(help: "Folder for eval.json, the per-fold CSVs, summary.csv and SVG plots. (default: write no files)")
    var out: String?

    @Option(
        name: .customLong("predictions"),
        help: ArgumentHelp(
            "A prediction file in CLAM's fold_k.csv layout (slide_id,Y,Y_hat,p_0..p_{C-1}) to score instead of a model; repeat for each fold. Its fold is k of fold_k.csv, else its position.",
            valueName: "file.csv"))
    var predictionFiles: [String] = []

    @Option(
        help: ArgumentHelp(
            "The hierarchy JSON ({\"coarse\": [...], \"fine\": [...], \"parent\": {...}}); required with --predictions.",
            valueName: "h.json"))
    var hierarchy: String?

    @Option(
        help: "Level of the classes in the prediction files: fine (also scores the coarse level of summed fine probabilities) or coarse.")
    var level: PredictionFiles.Level = .fine

    @Option(help: "Which part the prediction files hold: test or val.")
    var part: EvaluationPart = .test

    @Option(help: "What goes to stdout: json (the whole document; the table goes to stderr) or table.")
    var format: EvaluationOutput.Format = .json

    @Option(help: "Bootstrap resamples per fold for the 95% intervals; 0 turns the bootstrap off.")
    var bootstrap: Int = BootstrapSettings().resamples

    @Option(help: "Seed of the bootstrap resamples.")
    var seed: UInt64 = BootstrapSettings().seed

    @Option(help: ArgumentHelp("Parts of each fold to predict with its model: test, val, both (test,val) or none.", valueName: "test,val"))
    var parts: PartList = PartList(parts: EvaluationPart.allCases)

    @Option(help: "Threads for inference in total; 0 uses every core.")
    var threads: Int = 0

    @Flag(
        help: "Write each slide's attention per fold into --out/attention/fold_<k>/<slide_id>.csv (and external/attention/ with --dataset)."
    )
    var attention = false

    @Option(
        help: ArgumentHelp(
            "A dataset document (hmil.dataset/1 from hmil-pack) of slides outside the training plan, labelled or not: each fold's model predicts every slide and the probabilities are averaged; metrics on the labelled slides.",
            valueName: "D.json"))
    var dataset: String?

    @Option(
        name: .customLong("instance-labels"),
        help: ArgumentHelp(
            "Key instances to score the attention against: a CSV with columns slide_id,instance,label (instance = the bag's feature row from 0; label 1 = key, 0 = not; other columns ignored). A slide with rows needs one per instance; slides without rows are not scored. Checkpoints only. (default: none)",
            valueName: "FILE.csv"))
    var instanceLabels: String?

    @Option(
        name: .customLong("hierarchy-beta"),
        help: ArgumentHelp(
            "Adds the level fine_hierarchical: p(f) ∝ p_fine(f)·p_coarse(parent(f))^β, normalised (β ≥ 0; 0 is the fine head). One value per run. Models with a coarse head only (not ABMIL). (default: none)",
            valueName: "β"))
    var hierarchyBeta: Double?

    @Flag(help: "Do not print the table or progress on stderr.")
    var quiet = false

    func validate() throws {
        guard (0...100_000).contains(bootstrap) else { throw ValidationError("--bootstrap must be between 0 and 100000") }
        guard threads >= 0 else { throw ValidationError("--threads must be 0 (every core) or more") }
        if let beta = hierarchyBeta, !(beta.isFinite && beta >= 0) {
            throw ValidationError("--hierarchy-beta must be a finite number ≥ 0, not \(beta)")
        }
        if predictionFiles.isEmpty {
            if hierarchy != nil { throw ValidationError("--hierarchy goes with --predictions; a pipeline document carries its own") }
            if documents.filter({ $0 == "-" }).count > 1 { throw ValidationError("stdin ('-') can be read once") }
        } else {
            if hierarchy == nil { throw ValidationError("--predictions needs --hierarchy h.json to name the classes") }
            if !documents.isEmpty { throw ValidationError("give either pipeline documents or --predictions files, not both") }
            if attention || dataset != nil {
                throw ValidationError("--attention and --dataset need models: give a models document, not --predictions")
            }
            if instanceLabels != nil {
                throw ValidationError(
                    "--instance-labels scores attention, which prediction files do not carry — give the models documents from hmil-train instead of --predictions"
                )
            }
            if hierarchyBeta != nil {
                throw ValidationError(
                    "--hierarchy-beta needs both heads' probabilities, which one prediction file does not carry — give the models documents from hmil-train instead of --predictions"
                )
            }
        }
        if attention && out == nil { throw ValidationError("--attention writes files: give --out RESULTS") }
    }

    func run() throws {
        ToolRunner.run("hmil-eval") {
            let settings = BootstrapSettings(resamples: bootstrap, seed: seed)
            var doc: PipelineDocument
            let parts: [PartPredictions]
            var names: [Int: String] = [:]
            var external: ExternalPredictions?
            if let hierarchyPath = hierarchy {
                let hierarchy = try DocumentIO.decode(
                    Hierarchy.self, from: DocumentIO.readInput(hierarchyPath, what: "hierarchy"),
                    source: hierarchyPath)
                try hierarchy.validate(source: hierarchyPath)
                parts = try PredictionFiles.load(paths: predictionFiles, hierarchy: hierarchy, level: level, part: part)
                for (position, path) in predictionFiles.enumerated() { names[PredictionFiles.foldNumber(of: path) ?? position] = path }
                doc = try PredictionFiles.document(hierarchy: hierarchy, parts: parts, paths: predictionFiles)
                doc.evaluation = Evaluator.evaluate(parts, bootstrap: settings, source: "predictions", inputs: predictionFiles)
            } else {
                let inputs = try (documents.isEmpty ? [nil] : documents.map { Optional($0) }).map { path in
                    try DocumentIO.read(PipelineDocument.self, from: path)
                }
                let source = inputs.map(\.source).joined(separator: " + ")
                doc = try ModelsDocuments.merge(inputs)
                var options = CheckpointPredictions.Options(parts: self.parts.parts, threads: threads, quiet: quiet)
                options.attentionFolder = attention ? out.map { $0 + "/" + EvaluationOutput.attentionFolder } : nil
                options.instanceLabels = try instanceLabels.map { try InstanceLabels.read(path: $0) }
                options.hierarchyBeta = hierarchyBeta
                parts = try CheckpointPredictions.predict(document: doc, source: source, options: options)
                if let dataset {
                    let data = try DocumentIO.read(PipelineDocument.self, from: dataset, what: "dataset document").document
                    options.attentionFolder =
                        attention
                        ? out.map { "\($0)/\(EvaluationOutput.externalFolder)/\(EvaluationOutput.attentionFolder)" } : nil
                    external = try ExternalPredictions.predict(
                        dataset: data, source: dataset, models: doc, modelsSource: source,
                        options: options)
                }
                if let labels = options.instanceLabels {
                    let evaluated = Set(parts.flatMap(\.slideIDs))
                    if !evaluated.isEmpty, !evaluated.contains(where: labels.contains) {
                        StandardError.write(
                            "hmil-eval: warning: none of the \(evaluated.count) evaluated slides has rows in \(labels.source); "
                                + "no attention was scored\n")
                    }
                }
                doc.format = PipelineDocument.evalFormat
                doc.evaluation = Evaluator.evaluate(parts, bootstrap: settings, source: "checkpoints")
                doc.evaluation!.external = external?.report(bootstrap: settings)
                doc.evaluation!.hierarchyBeta = hierarchyBeta
                doc.evaluation!.instanceLabels = instanceLabels
            }
            if let overlap = external?.alsoInTrainingPlan, let first = overlap.first {
                StandardError.write(
                    "hmil-eval: warning: \(overlap.count) slide(s) of \(dataset!) are also in the training plan "
                        + "(first: \(first)); their predictions are not external\n")
            }
            for warning in EvaluationOutput.undefinedAUCWarnings(doc.evaluation!, names: names) {
                StandardError.write("hmil-eval: warning: \(warning)\n")
            }
            try EvaluationOutput.publish(doc, predictions: parts, external: external, out: out, format: format, quiet: quiet)
        }
    }
}

/// `--parts test,val`: which parts of each fold the models predict.
struct PartList: ExpressibleByArgument {
    var parts: [EvaluationPart]

    init(parts: [EvaluationPart]) { self.parts = parts }

    init?(argument: String) {
        if argument == "none" {
            parts = []
            return
        }
        if argument == "both" {
            parts = EvaluationPart.allCases
            return
        }
        var parts: [EvaluationPart] = []
        for name in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let part = EvaluationPart(rawValue: String(name)), !parts.contains(part) else { return nil }
            parts.append(part)
        }
        self.parts = parts
    }

    var defaultValueDescription: String { parts.map(\.rawValue).joined(separator: ",") }
}
