import Foundation

/// Every hyper-parameter of a training run. Defaults are the release's (DESIGN §4): Adam lr 1e-4,
/// batches of 64 bags, ReduceLROnPlateau (factor 0.1, patience 5) on the epoch's mean training loss,
/// 200 epochs, the checkpoint with the best validation fine macro-AUC kept.
///
/// Each field is a `hmil-train` flag (`--batch-size`) and a key of a `--config` JSON file
/// (`"batch_size"`); flags given on the command line win over the file. The effective options are
/// written into every checkpoint's metadata and into the models document.
public struct TrainingOptions: Codable, Equatable, Sendable {
    /// `hmil` (chosen by the study in the README) or `reference` (the released code exactly); sets the
    /// objective and the architecture defaults below (`TrainingPreset`).
    public var preset = Preset.hmil
    /// `hmil` or `abmil` (the flat gated-attention baseline on fine labels).
    public var model = ModelKind.hmil
    /// `shared` (one scorer across class rows, as released) or `per-class`; nil = the preset's.
    public var scorer: Scorer?
    /// `released` (D→256→D coarse features) or `shared` (one 256-d embedding for both branches);
    /// nil = the preset's.
    public var embedding: HMILOptions.Embedding?
    public var dropout = false
    /// Model variants where the coarse level shapes the fine level (HMILOptions; nil = off, the
    /// model's defaults): coarse-gated fine attention, the coarse prior on the fine logits and its λ.
    public var coarseGate: HMILOptions.CoarseGate?
    public var finePrior: HMILOptions.FinePrior?
    public var finePriorWeight: Double?

    public var epochs = 200
    public var batchSize = 64
    public var optimizer = OptimizerKind.adam
    public var lr = 1e-4
    public var weightDecay = 0.0
    public var momentum = 0.9
    /// Clip the global gradient norm to this value; 0 turns clipping off.
    public var clipGradNorm = 0.0
    public var lrFactor = 0.1
    public var lrPatience = 5

    public var seed: UInt64 = 1
    public var shuffle = true
    /// Draw batches with equal probability per fine class instead of a plain shuffle.
    public var balancedSampling = false
    /// Train on a random subset of at most this many instances per bag (0 = all); evaluation uses all.
    public var maxInstances = 0
    /// Stop when the selection metric has not improved for this many epochs (0 = never).
    public var earlyStoppingPatience = 0
    /// The validation metric whose best epoch is kept, or `last` (the final epoch, whatever validation
    /// says: on small validation parts every metric is noisy, README "Studies").
    public var selectionMetric = SelectionMetric.valFineAUC

    /// Objective overrides on top of the preset (nil = the preset's value).
    public var weightAttention: Double?
    public var bagAlignment: ObjectiveConfig.BagAlignmentForm?
    public var curriculum: CurriculumSchedule?
    /// w_con, w_c, w_bag of DESIGN §4 (HMIL only). w_con = 0 turns SupCon off, and every epoch is one pass.
    public var weightContrastive: Double?
    public var weightCoarse: Double?
    public var weightBag: Double?
    /// ε of sibling label smoothing of L_f (HMIL and ABMIL), 0 ≤ ε < 1; nil is the preset's 0 (off).
    public var siblingSmoothing: Double?

    /// Threads in total; bags run in parallel on workers, BLAS uses the rest.
    public var threads = 0

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case preset, model, scorer, embedding, dropout, epochs
        case batchSize = "batch_size"
        case optimizer, lr
        case weightDecay = "weight_decay"
        case momentum
        case clipGradNorm = "clip_grad_norm"
        case lrFactor = "lr_factor"
        case lrPatience = "lr_patience"
        case seed, shuffle
        case balancedSampling = "balanced_sampling"
        case maxInstances = "max_instances"
        case earlyStoppingPatience = "early_stopping_patience"
        case selectionMetric = "selection_metric"
        case weightAttention = "weight_attention"
        case bagAlignment = "bag_alignment"
        case curriculum
        case weightContrastive = "weight_contrastive"
        case weightCoarse = "weight_coarse"
        case weightBag = "weight_bag"
        case siblingSmoothing = "sibling_smoothing"
        case threads
        case coarseGate = "coarse_gate"
        case finePrior = "fine_prior"
        case finePriorWeight = "fine_prior_weight"
    }

    /// Keys a config file may use.
    public static var configKeys: [String] { CodingKeys.allCases.map(\.rawValue) }

    /// Options from a config file over the defaults; an unknown key is an error that lists the known ones.
    public static func load(configFile path: String) throws -> TrainingOptions {
        try resolve(configFile: path, overrides: [:])
    }

    /// The defaults, then the config file (if any), then `overrides` (the flags given, as a JSON object
    /// of config keys): each layer replaces the keys it has, so a flag wins over the file and the file
    /// over the default, which is written once, on the property above. A bad value in the file is an
    /// error naming the file even when a flag replaces it. Non-finite numbers travel as the strings of
    /// `nonFinite` (JSON has none), so `validate` can name the flag that gave one.
    public static func resolve(configFile path: String?, overrides: [String: Any]) throws -> TrainingOptions {
        var merged = try JSONSerialization.jsonObject(with: JSONEncoder().encode(TrainingOptions())) as! [String: Any]
        if let path {
            let data = try DocumentIO.readInput(path, what: "config file")
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ToolError("config is not a JSON object", at: path)
            }
            for key in object.keys.sorted() where !configKeys.contains(key) {
                throw ToolError("unknown config key '\(key)'", at: path, hint: "known keys: \(configKeys.joined(separator: ", "))")
            }
            merged.merge(object) { $1 }
            _ = try decode(merged, source: path)
        }
        for key in overrides.keys.sorted() where !configKeys.contains(key) {
            preconditionFailure("option '\(key)' is not a TrainingOptions key")
        }
        merged.merge(overrides) { $1 }
        return try decode(merged, source: "the command line")
    }

    /// The strings that stand for the non-finite numbers a flag may give (`--weight-bag nan`).
    public static let nonFinite = (positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")

    private static func decode(_ object: [String: Any], source: String) throws -> TrainingOptions {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: nonFinite.positiveInfinity, negativeInfinity: nonFinite.negativeInfinity, nan: nonFinite.nan)
        return try DocumentIO.decode(
            TrainingOptions.self, from: JSONSerialization.data(withJSONObject: object), source: source,
            decoder: decoder)
    }

    /// Checks values that do not depend on the data.
    public func validate() throws {
        func bad(_ what: String, _ hint: String) -> ToolError { ToolError(what, hint: hint) }
        if model == .abmil, coarseGate != nil || finePrior != nil {
            throw bad("--coarse-gate and --fine-prior need the hmil model", "drop them with --model abmil")
        }
        if let w = finePriorWeight, !(w.isFinite && w >= 0) {
            throw bad("--fine-prior-weight must be a number ≥ 0", "e.g. --fine-prior-weight 1")
        }
        guard epochs > 0 else { throw bad("--epochs must be positive", "e.g. --epochs 200") }
        guard batchSize > 0 else { throw bad("--batch-size must be positive", "e.g. --batch-size 64") }
        guard lr > 0, lr.isFinite else { throw bad("--lr must be a positive number", "e.g. --lr 1e-4") }
        guard weightDecay >= 0 else { throw bad("--weight-decay must be ≥ 0", "e.g. --weight-decay 1e-5") }
        guard momentum >= 0, momentum.isFinite else { throw bad("--momentum must be ≥ 0", "e.g. --momentum 0.9") }
        guard clipGradNorm >= 0, clipGradNorm.isFinite else { throw bad("--clip-grad-norm must be ≥ 0", "0 turns clipping off") }
        // ReduceLROnPlateau (as torch) needs a factor below 1; its initializer stops the program otherwise.
        guard lrFactor > 0, lrFactor < 1 else { throw bad("--lr-factor must be between 0 and 1", "e.g. --lr-factor 0.1") }
        guard lrPatience >= 0 else { throw bad("--lr-patience must be ≥ 0", "e.g. --lr-patience 5") }
        guard earlyStoppingPatience >= 0 else { throw bad("--early-stopping-patience must be ≥ 0", "0 never stops early") }
        guard maxInstances >= 0 else { throw bad("--max-instances must be ≥ 0", "0 keeps every instance") }
        guard threads >= 0 else { throw bad("--threads must be ≥ 0", "0 uses every core") }
        let weights = [
            ("--weight-attention", weightAttention), ("--weight-contrastive", weightContrastive),
            ("--weight-coarse", weightCoarse), ("--weight-bag", weightBag)
        ]
        for case (let flag, let w?) in weights where !(w.isFinite && w >= 0) {
            throw bad("\(flag) must be a finite number ≥ 0, not \(w)", "0 turns the term off")
        }
        if let e = siblingSmoothing, !(e >= 0 && e < 1) {
            throw bad("--sibling-smoothing must be in [0, 1), not \(e)", "e.g. --sibling-smoothing 0.2; 0 is off")
        }
    }
}
