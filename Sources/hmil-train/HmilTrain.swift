import ArgumentParser
import Foundation
import Shared

@main
struct HmilTrain: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "hmil-train",
        abstract: "Train HMIL (or the flat ABMIL baseline) on each fold of a packed dataset.",
        discussion: """
            Reads the dataset document (hmil.dataset/1, from hmil-pack) from stdin or DOCUMENT, trains the \
            chosen folds and writes the models document (hmil.models/1) to stdout and into --out. Per fold, \
            --out holds fold_<k>/best.safetensors (the checkpoint with the best validation metric), \
            history.jsonl and history.csv (every loss term, alpha, tau, lr, metrics and seconds per epoch) \
            and state.json (what --resume continues from). Every option is also a key of a --config JSON \
            file (e.g. "batch_size"); options given on the command line win. A fold folder is locked while it \
            trains (fold_<k>/.hmil-lock, safe on NFS and Lustre): a second hmil-train on it is refused, naming \
            the holder's host and pid; a lock left by a killed process is taken over with a warning.
            """)

    @Argument(help: "Dataset document (default: stdin).")
    var document: String?

    @Option(help: "Folder for checkpoints, history and the models document.")
    var out: String

    @Option(help: "Fold to train: a number or 'all'.")
    var fold = FoldChoice.all

    @Option(help: "JSON file with training options (keys as the long options, with '_' for '-').")
    var config: String?

    @OptionGroup(title: "Training options (each also a --config key)")
    var training: TrainingFlags

    @Option(
        help: """
            MiB of activations kept from the forward of a batch to its backward in epochs with the contrastive \
            term: a batch that fits takes one pass, bags beyond it are recomputed in a second pass; training \
            workers beyond the first are charged their bag in flight against it. Peak memory stays near \
            model + this budget + a bag in flight per worker (features and activations); 0 keeps it near \
            model + a bag in flight per worker. The weights do not depend on it. (default: a quarter of physical memory, or of the \
            cgroup's memory limit when lower)
            """) var memoryBudget: Int?

    @Option(name: .customLong("init"), help: "Start from these weights (a checkpoint of the same shape).") var initCheckpoint: String?
    @Flag(help: "Continue each fold from its last completed epoch in --out.") var resume = false
    @Flag(help: "No progress on stderr.") var quiet = false

    func run() throws {
        ToolRunner.run("hmil-train") {
            var (doc, source) = try DocumentIO.read(PipelineDocument.self, from: document)
            try doc.require(PipelineDocument.datasetFormat, source: source, producer: "hmil-pack")
            let options = try TrainingOptions.resolve(configFile: config, overrides: training.given())
            try options.validate()

            let folds: [Int]
            switch fold {
            case .all: folds = doc.folds.map(\.fold)
            case .number(let k): folds = [k]
            }
            let bags = try BagSource(document: doc, source: source)
            var records = doc.models ?? []
            for k in folds {
                let trainer = try Trainer(
                    document: doc, source: source, options: options, fold: k,
                    folder: out + "/fold_\(k)", bags: bags, initCheckpoint: initCheckpoint,
                    memoryBudget: memoryBudget.map { $0 << 20 } ?? Trainer.defaultMemoryBudget, quiet: quiet)
                let record = try trainer.run(resume: resume)
                records.removeAll { $0.fold == k }
                records.append(record)
            }
            doc.models = records.sorted { $0.fold < $1.fold }
            doc.format = PipelineDocument.modelsFormat
            let name: String
            switch fold {
            case .all: name = "models.json"
            case .number(let k): name = "models_fold_\(k).json"
            }
            try DocumentIO.emit(doc, saveIn: out, as: name)
        }
    }
}

/// `--fold`: one fold's number, or every fold of the plan.
enum FoldChoice: ExpressibleByArgument {
    case all
    case number(Int)

    init?(argument: String) {
        if argument == "all" {
            self = .all
        } else if let k = Int(argument), k >= 0 {
            self = .number(k)
        } else {
            return nil
        }
    }

    var defaultValueDescription: String {
        switch self {
        case .all: return "all"
        case .number(let k): return String(k)
        }
    }
}
