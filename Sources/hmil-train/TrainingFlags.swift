import ArgumentParser
import Foundation
import Shared

/// `TrainingOptions` as flags. Each property has the name of the option it sets and is nil unless given,
/// so `given()` can say which were given: those win over the --config file, which wins over the
/// defaults (`TrainingOptions.resolve`). The defaults are written once, on `TrainingOptions`, and the help
/// reads them from there (`byDefault`); ArgumentParser lists each named option's values.
struct TrainingFlags: ParsableArguments {
    @Option(
        help: """
            hmil: the paper's objective with per-class scorers, the shared embedding and sibling smoothing 0.2, \
            chosen by the README's study; reference: the released code exactly. \(byDefault(\.preset))
            """)
    var preset: TrainingOptions.Preset?
    @Option(help: "hmil, or abmil (the flat gated-attention baseline). \(byDefault(\.model))")
    var model: ModelKind?
    @Option(help: "Class scorer: shared (as released) or one per class. \(byPreset { TrainingOptions.Scorer($0.choices.scorer) })")
    var scorer: TrainingOptions.Scorer?
    @Option(help: "Embedding: released (D→256→D) or shared (one 256-d embedding). \(byPreset(\.choices.embedding))")
    var embedding: HMILOptions.Embedding?
    @Flag(inversion: .prefixedNo, help: "Dropout \(HMILOptions.dropoutRate) in the gated attentions. \(byDefault(\.dropout))")
    var dropout: Bool?
    @Option(
        help: """
            Coarse-gated fine attention: fine class f's attention scores add γ·log A_c of its parent class. fixed: γ 1; \
            learned: γ ≥ 0 per fine class, from 0; detached: γ 1, no gradient into A_c. \(byModelDefault(\.coarseGate))
            """)
    var coarseGate: HMILOptions.CoarseGate?
    @Option(
        help: """
            Coarse prior on the fine logits, logit_f += λ·log softmax(logit_c)[parent], in training and inference; \
            coarse-detached: no gradient into the coarse head from it. \(byModelDefault(\.finePrior))
            """)
    var finePrior: HMILOptions.FinePrior?
    @Option(help: "λ of --fine-prior. \(byModelDefault(\.finePriorWeight))")
    var finePriorWeight: Double?

    @Option(help: "Epochs. \(byDefault(\.epochs))") var epochs: Int?
    @Option(help: "Bags per optimizer step. \(byDefault(\.batchSize))") var batchSize: Int?
    @Option(help: "Optimizer. \(byDefault(\.optimizer))") var optimizer: TrainingOptions.OptimizerKind?
    @Option(help: "Learning rate. \(byDefault(\.lr))") var lr: Double?
    @Option(help: "Weight decay (L2, as torch). \(byDefault(\.weightDecay))") var weightDecay: Double?
    @Option(help: "SGD momentum. \(byDefault(\.momentum))") var momentum: Double?
    @Option(help: "Clip the global gradient norm; 0 is off. \(byDefault(\.clipGradNorm))") var clipGradNorm: Double?
    @Option(help: "ReduceLROnPlateau factor. \(byDefault(\.lrFactor))") var lrFactor: Double?
    @Option(help: "ReduceLROnPlateau patience in epochs. \(byDefault(\.lrPatience))") var lrPatience: Int?
    @Option(help: "Random seed. \(byDefault(\.seed))") var seed: UInt64?
    @Flag(
        inversion: .prefixedNo, help: "Visit training bags in a new random order each epoch (else in plan order). \(byDefault(\.shuffle))")
    var shuffle: Bool?
    @Flag(inversion: .prefixedNo, help: "Sample batches with equal probability per fine class. \(byDefault(\.balancedSampling))")
    var balancedSampling: Bool?
    @Option(help: "Train on at most this many random instances per bag; 0 keeps all. \(byDefault(\.maxInstances))")
    var maxInstances: Int?
    @Option(help: "Stop after this many epochs without improvement; 0 never. \(byDefault(\.earlyStoppingPatience))")
    var earlyStoppingPatience: Int?
    @Option(
        help: """
            Checkpoint selection: the best epoch by a validation metric, or last (the final epoch; validation is still \
            recorded). An epoch that ties the best value so far is kept when its validation loss is lower (then \
            counting as an improvement for early stopping); on equal loss the earlier epoch stays. \(byDefault(\.selectionMetric))
            """)
    var selectionMetric: TrainingOptions.SelectionMetric?
    @Option(help: "Weight of the attention-matching term. \(byPreset(\.objective.attentionWeight))")
    var weightAttention: Double?
    @Option(help: "Bag alignment form. \(byPreset(\.objective.bagAlignment))")
    var bagAlignment: ObjectiveConfig.BagAlignmentForm?
    @Option(help: "Curriculum of alpha. \(byPreset(\.objective.curriculum))")
    var curriculum: CurriculumSchedule?
    @Option(
        help:
            "HMIL: weight w_con of the contrastive term; 0 turns SupCon off and makes every epoch one pass. \(byPreset(\.objective.contrastiveWeight))"
    )
    var weightContrastive: Double?
    @Option(help: "HMIL: weight w_c of the coarse cross-entropy (times alpha). \(byPreset(\.objective.coarseWeight))")
    var weightCoarse: Double?
    @Option(help: "HMIL: weight w_bag of the bag-level alignment term. \(byPreset(\.objective.bagAlignmentWeight))")
    var weightBag: Double?
    @Option(
        help: """
            Sibling label smoothing ε of the fine cross-entropy (HMIL and ABMIL): the target keeps 1−ε on the \
            true class and spreads ε over its siblings (same coarse parent); a class without siblings keeps 1. \
            0 ≤ ε < 1. \(byPreset(\.choices.siblingSmoothing, abmil: ObjectiveConfig.flat.siblingSmoothing))
            """)
    var siblingSmoothing: Double?
    @Option(help: "Threads in total; 0 uses every core. \(byDefault(\.threads))") var threads: Int?

    /// The flags given, as config keys (`batchSize` → `batch_size`): the options' JSON without the
    /// ones not given. Each stored property is an `Option` or `Flag` wrapper named `_<option>`.
    func given() throws -> [String: Any] {
        var values: [String: any Encodable] = [:]
        for child in Mirror(reflecting: self).children {
            guard let label = child.label, let parsed = child.value as? any ParsedFlagValue else { continue }
            values[String(label.drop { $0 == "_" })] = parsed.parsedValue
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let nonFinite = TrainingOptions.nonFinite
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: nonFinite.positiveInfinity, negativeInfinity: nonFinite.negativeInfinity, nan: nonFinite.nan)
        let object = try JSONSerialization.jsonObject(with: encoder.encode(FlagValues(values: values))) as! [String: Any]
        return object.filter { !($0.value is NSNull) }
    }
}

/// An option or flag whose parsed value (nil when not given) can be written as a config value.
private protocol ParsedFlagValue {
    var parsedValue: any Encodable { get }
}

extension Option: ParsedFlagValue where Value: Encodable {
    fileprivate var parsedValue: any Encodable { wrappedValue }
}

extension Flag: ParsedFlagValue where Value: Encodable {
    fileprivate var parsedValue: any Encodable { wrappedValue }
}

/// The parsed values under their property names, as one JSON object.
private struct FlagValues: Encodable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    let values: [String: any Encodable]

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (name, value) in values { try container.encode(value, forKey: Key(stringValue: name)) }
    }
}

extension TrainingOptions.Preset: ExpressibleByArgument {}
extension ModelKind: ExpressibleByArgument {}
extension TrainingOptions.Scorer: ExpressibleByArgument {}
extension HMILOptions.Embedding: ExpressibleByArgument {}
extension HMILOptions.CoarseGate: ExpressibleByArgument {}
extension HMILOptions.FinePrior: ExpressibleByArgument {}
extension TrainingOptions.OptimizerKind: ExpressibleByArgument {}
extension TrainingOptions.SelectionMetric: ExpressibleByArgument {}
extension ObjectiveConfig.BagAlignmentForm: ExpressibleByArgument {}
extension CurriculumSchedule: ExpressibleByArgument {}

// MARK: - Defaults in the help, read from where they are written

/// "(default: 200)" for a training option, from `TrainingOptions`.
private func byDefault<T>(_ key: KeyPath<TrainingOptions, T>) -> String {
    "(default: \(spelled(TrainingOptions()[keyPath: key])))"
}

/// "(default: none)" for a model variant left unset: the model's own default (`HMILOptions`).
private func byModelDefault<T>(_ key: KeyPath<HMILOptions, T>) -> String {
    "(default: \(spelled(HMILOptions(featureDim: 1, coarseClasses: 1, fineClasses: 1)[keyPath: key])))"
}

/// "(default: the preset's: hmil 1, reference 0)" for an option each preset sets.
private func byPreset<T>(_ value: (TrainingOptions.Preset) -> T, abmil: Double? = nil) -> String {
    let values = TrainingOptions.Preset.allCases.map { spelled(value($0)) }
    let each =
        Set(values).count == 1
        ? "\(values[0]) in each"
        : zip(TrainingOptions.Preset.allCases, values).map { "\($0.rawValue) \($1)" }.joined(separator: ", ")
    return "(default: the preset's: \(each)\(abmil.map { "; abmil \(spelled($0))" } ?? ""))"
}

/// A value as a flag or config file spells it.
private func spelled(_ value: Any) -> String {
    switch value {
    case let choice as any NamedChoice: return choice.rawValue
    case let flag as Bool: return flag ? "on" : "off"
    case let number as Double where number == number.rounded() && abs(number) < 1e15: return String(Int(number))
    default: return "\(value)"
    }
}
