import ArgumentParser
import Foundation
import Shared

extension HMILOptions.CoarseGate: ExpressibleByArgument {}
extension HMILOptions.FinePrior: ExpressibleByArgument {}

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
    var fold = "all"

    @Option(help: "JSON file with training options (keys as the long options, with '_' for '-').")
    var config: String?

    @Option(help: """
        Preset: hmil (the paper's objective with per-class scorers, the shared embedding and sibling smoothing \
        0.2, chosen by the README's study) or reference (the released code exactly). (default: hmil)
        """)
    var preset: String?
    @Option(help: "Model: hmil or abmil (flat gated-attention baseline). (default: hmil)")
    var model: String?
    @Option(help: "Class scorer: shared (as released) or per-class. (default: the preset's: hmil per-class, reference shared)")
    var scorer: String?
    @Option(help: "Embedding: released (D→256→D) or shared (one 256-d embedding). (default: the preset's: hmil shared, reference released)")
    var embedding: String?
    @Flag(help: "Dropout 0.25 in the gated attentions.")
    var dropout = false
    @Option(help: """
        Coarse-gated fine attention: fine class f's attention scores add γ·log A_c of its parent class. fixed: γ 1; \
        learned: γ ≥ 0 per fine class, from 0; detached: γ 1, no gradient into A_c. (default: none)
        """) var coarseGate: HMILOptions.CoarseGate?
    @Option(help: """
        Coarse prior on the fine logits, logit_f += λ·log softmax(logit_c)[parent], in training and inference; \
        coarse-detached: no gradient into the coarse head from it. (default: none)
        """) var finePrior: HMILOptions.FinePrior?
    @Option(help: "λ of --fine-prior. (default: 1)") var finePriorWeight: Double?

    @Option(help: "Epochs. (default: 200)") var epochs: Int?
    @Option(help: "Bags per optimizer step. (default: 64)") var batchSize: Int?
    @Option(help: "Optimizer: adam or sgd. (default: adam)") var optimizer: String?
    @Option(help: "Learning rate. (default: 1e-4)") var lr: Double?
    @Option(help: "Weight decay (L2, as torch). (default: 0)") var weightDecay: Double?
    @Option(help: "SGD momentum. (default: 0.9)") var momentum: Double?
    @Option(help: "Clip the global gradient norm; 0 is off. (default: 0)") var clipGradNorm: Double?
    @Option(help: "ReduceLROnPlateau factor. (default: 0.1)") var lrFactor: Double?
    @Option(help: "ReduceLROnPlateau patience in epochs. (default: 5)") var lrPatience: Int?
    @Option(help: "Random seed. (default: 1)") var seed: UInt64?
    @Flag(help: "Visit training bags in plan order.") var noShuffle = false
    @Flag(help: "Sample batches with equal probability per fine class.") var balancedSampling = false
    @Option(help: "Train on at most this many random instances per bag; 0 keeps all. (default: 0)") var maxInstances: Int?
    @Option(help: "Stop after this many epochs without improvement; 0 never. (default: 0)") var earlyStoppingPatience: Int?
    @Option(help: """
        Checkpoint selection: val_fine_auc, val_fine_accuracy, val_coarse_auc, val_loss, or last (the final epoch; \
        validation is still recorded). An epoch that ties the best value so far is kept when its validation loss is \
        lower (then counting as an improvement for early stopping); on equal loss the earlier epoch stays. \
        (default: val_fine_auc)
        """)
    var selectionMetric: String?
    @Option(help: "Weight of the attention-matching term (overrides the preset).") var weightAttention: Double?
    @Option(help: "Bag alignment form: nll or reference (overrides the preset).") var bagAlignment: String?
    @Option(help: "Curriculum: quadratic or linear (overrides the preset).") var curriculum: String?
    @Option(help: "HMIL: weight w_con of the contrastive term; 0 turns SupCon off and makes every epoch one pass. (default: the preset's, 1)")
    var weightContrastive: Double?
    @Option(help: "HMIL: weight w_c of the coarse cross-entropy (times alpha). (default: the preset's, 1)") var weightCoarse: Double?
    @Option(help: "HMIL: weight w_bag of the bag-level alignment term. (default: the preset's, 1)") var weightBag: Double?
    @Option(help: """
        Sibling label smoothing ε of the fine cross-entropy (HMIL and ABMIL): the target keeps 1−ε on the \
        true class and spreads ε over its siblings (same coarse parent); a class without siblings keeps 1. \
        0 ≤ ε < 1. (default: the preset's: hmil 0.2, reference 0; ABMIL 0)
        """) var siblingSmoothing: Double?
    @Option(help: "Threads in total; 0 uses every core. (default: 0)") var threads: Int?
    @Option(help: """
        MiB of activations kept from the forward of a batch to its backward in epochs with the contrastive \
        term: a batch that fits takes one pass, bags beyond it are recomputed in a second pass. Peak memory \
        stays near model + this budget + the largest bag + the bag read ahead; 0 keeps it near model + \
        largest bag. The weights do not depend on it. (default: a quarter of physical memory, or of the \
        cgroup's memory limit when lower)
        """) var memoryBudget: Int?

    @Option(name: .customLong("init"), help: "Start from these weights (a checkpoint of the same shape).") var initCheckpoint: String?
    @Flag(help: "Continue each fold from its last completed epoch in --out.") var resume = false
    @Flag(help: "No progress on stderr.") var quiet = false

    func run() throws {
        ToolRunner.run("hmil-train") {
            let source = document ?? "stdin"
            let data = try DocumentIO.readInput(document)
            var doc = try DocumentIO.decode(PipelineDocument.self, from: data, source: source)
            try doc.require(PipelineDocument.datasetFormat, source: source, producer: "hmil-pack")
            let options = try effectiveOptions()
            try options.validate()

            let folds: [Int]
            if fold == "all" {
                folds = doc.folds.map(\.fold)
            } else if let k = Int(fold) {
                folds = [k]
            } else {
                throw ToolError("--fold must be a number or 'all', not '\(fold)'")
            }
            let bags = try BagSource(document: doc, source: source)
            var records = doc.models ?? []
            for k in folds {
                let trainer = try Trainer(document: doc, source: source, options: options, fold: k,
                                          folder: out + "/fold_\(k)", bags: bags, initCheckpoint: initCheckpoint,
                                          memoryBudget: memoryBudget.map { $0 << 20 } ?? Trainer.defaultMemoryBudget, quiet: quiet)
                let record = try trainer.run(resume: resume)
                records.removeAll { $0.fold == k }
                records.append(record)
            }
            doc.models = records.sorted { $0.fold < $1.fold }
            doc.format = PipelineDocument.modelsFormat
            let name = fold == "all" ? "models.json" : "models_fold_\(fold).json"
            try DocumentIO.emit(doc, saveIn: out, as: name)
        }
    }

    /// Defaults, then the config file, then the flags given.
    func effectiveOptions() throws -> TrainingOptions {
        var o = try config.map { try TrainingOptions.load(configFile: $0) } ?? TrainingOptions()
        if let v = preset { o.preset = v }
        if let v = model { o.model = v }
        if let v = scorer { o.scorer = v }
        if let v = embedding { o.embedding = v }
        if dropout { o.dropout = true }
        if let v = coarseGate { o.coarseGate = v }
        if let v = finePrior { o.finePrior = v }
        if let v = finePriorWeight { o.finePriorWeight = v }
        if let v = epochs { o.epochs = v }
        if let v = batchSize { o.batchSize = v }
        if let v = optimizer { o.optimizer = v }
        if let v = lr { o.lr = v }
        if let v = weightDecay { o.weightDecay = v }
        if let v = momentum { o.momentum = v }
        if let v = clipGradNorm { o.clipGradNorm = v }
        if let v = lrFactor { o.lrFactor = v }
        if let v = lrPatience { o.lrPatience = v }
        if let v = seed { o.seed = v }
        if noShuffle { o.shuffle = false }
        if balancedSampling { o.balancedSampling = true }
        if let v = maxInstances { o.maxInstances = v }
        if let v = earlyStoppingPatience { o.earlyStoppingPatience = v }
        if let v = selectionMetric { o.selectionMetric = v }
        if let v = weightAttention { o.weightAttention = v }
        if let v = bagAlignment { o.bagAlignment = v }
        if let v = curriculum { o.curriculum = v }
        if let v = weightContrastive { o.weightContrastive = v }
        if let v = weightCoarse { o.weightCoarse = v }
        if let v = weightBag { o.weightBag = v }
        if let v = siblingSmoothing { o.siblingSmoothing = v }
        if let v = threads { o.threads = v }
        return o
    }
}
