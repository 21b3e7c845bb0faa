/// The named values of `TrainingOptions` (each also a `hmil-train` flag's values). The raw values are the
/// config and checkpoint-metadata spelling, which stays as it was when these were strings.
extension TrainingOptions {
    /// `hmil` (the study's choice, README "Studies") or `reference` (the released code exactly).
    public enum Preset: String, NamedChoice {
        case hmil, reference

        /// The objective's weights and forms (`ObjectiveConfig`).
        public var objective: ObjectiveConfig {
            switch self {
            case .hmil: return .hmil
            case .reference: return .reference
            }
        }

        /// The preset's architecture and smoothing (`TrainingPreset`).
        public var choices: TrainingPreset {
            switch self {
            case .hmil: return .hmil
            case .reference: return .reference
            }
        }
    }

    /// The scorer as the config spells it: `per-class` with a hyphen (a checkpoint's model options
    /// spell `HMILOptions.Scorer` `per_class`; both spellings are in files already written).
    public enum Scorer: String, NamedChoice {
        case shared
        case perClass = "per-class"

        public var model: HMILOptions.Scorer {
            switch self {
            case .shared: return .shared
            case .perClass: return .perClass
            }
        }

        public init(_ model: HMILOptions.Scorer) {
            switch model {
            case .shared: self = .shared
            case .perClass: self = .perClass
            }
        }
    }

    public enum OptimizerKind: String, NamedChoice {
        case adam, sgd
    }

    /// Which epoch's checkpoint is kept (`CheckpointSelection`).
    public enum SelectionMetric: String, NamedChoice {
        case valFineAUC = "val_fine_auc"
        case valFineAccuracy = "val_fine_accuracy"
        case valCoarseAUC = "val_coarse_auc"
        case valLoss = "val_loss"
        /// The final epoch, whatever validation says (validation is still recorded).
        case last
    }
}

extension HMILOptions.Embedding: NamedChoice {}
extension HMILOptions.CoarseGate: NamedChoice {}
extension HMILOptions.FinePrior: NamedChoice {}
extension ObjectiveConfig.BagAlignmentForm: NamedChoice {}
extension CurriculumSchedule: NamedChoice {}
