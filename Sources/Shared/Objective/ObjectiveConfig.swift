/// Every weight and schedule of the training objective (DESIGN §4):
///
///     L = w_c·α·L_c + w_f·L_f + w_bag·L_bag + λ_att·L_att + w_con·(1 − α)·L_con
///
/// with α from `curriculum` and the contrastive temperature from `temperature`; L_f's target may be
/// smoothed over the true class's siblings (`siblingSmoothing`). The presets name
/// the two objectives the project compares; any field can be overridden in JSON.
///
/// JSON (snake_case; every key optional, missing keys take the values of `preset`, default `hmil`):
///
///     {"preset": "reference", "attention_weight": 0.5, "curriculum": "linear",
///      "temperature": {"low": 0.1, "high": 1.0}}
public struct ObjectiveConfig: Codable, Equatable, Sendable {
    /// Which family of model the objective trains.
    public enum Kind: String, Codable, Equatable, Sendable {
        /// HMIL: coarse and fine heads, every term of §4.
        case hierarchical
        /// Flat gated-attention ABMIL: fine cross-entropy only; coarse predictions come from summed
        /// fine probabilities at evaluation (`FineToCoarse.probabilities`).
        case flat
    }

    /// The two forms of the bag-level alignment term (see `BagAlignmentLoss`).
    public enum BagAlignmentForm: String, Codable, Equatable, Sendable, CaseIterable {
        /// −log q[y_c]: the negative log-likelihood of the true coarse class under the summed fine
        /// probabilities (the paper's method).
        case nll
        /// Cross-entropy with q used as logits, −log softmax(q)[y_c] (the released code).
        case reference
    }

    /// Name of the preset the other fields start from ("hmil", "reference" or "flat").
    public var preset: String
    public var kind: Kind
    /// w_c: multiplies α·L_c.
    public var coarseWeight: Double
    /// w_f: multiplies L_f.
    public var fineWeight: Double
    public var bagAlignment: BagAlignmentForm
    /// w_bag: multiplies L_bag.
    public var bagAlignmentWeight: Double
    /// λ_att: multiplies L_att. The released code computes L_att but leaves it out of the loss (0).
    public var attentionWeight: Double
    /// w_con: multiplies (1 − α)·L_con.
    public var contrastiveWeight: Double
    public var curriculum: CurriculumSchedule
    public var temperature: TemperatureSchedule
    /// SupCon's base temperature; the loss is scaled by τ/base (released: 0.1).
    public var baseTemperature: Double
    /// Divide SupCon's mean over anchors once more by the batch size B, as released
    /// (`contrastive_loss(...) / len(semantics_features)`).
    public var contrastiveDividedByBatchSize: Bool
    /// ε of `SiblingLabelSmoothing` for L_f, 0 ≤ ε < 1; 0 (every preset) is the plain cross-entropy.
    /// Applies to the flat objective too.
    public var siblingSmoothing: Double

    /// The released code exactly: L_bag in reference form, λ_att = 0, quadratic α.
    public static let reference = ObjectiveConfig(
        preset: "reference", kind: .hierarchical, coarseWeight: 1, fineWeight: 1, bagAlignment: .reference,
        bagAlignmentWeight: 1, attentionWeight: 0, contrastiveWeight: 1, curriculum: .quadratic,
        temperature: TemperatureSchedule(), baseTemperature: 0.1, contrastiveDividedByBatchSize: true)

    /// The paper's method (the default): L_bag in nll form, λ_att = 1, quadratic α.
    public static let hmil: ObjectiveConfig = {
        var c = reference
        c.preset = "hmil"
        c.bagAlignment = .nll
        c.attentionWeight = 1
        return c
    }()

    /// Flat ABMIL: fine cross-entropy only.
    public static let flat: ObjectiveConfig = {
        var c = reference
        c.preset = "flat"
        c.kind = .flat
        c.coarseWeight = 0
        c.bagAlignmentWeight = 0
        c.contrastiveWeight = 0
        return c
    }()

    public static let presets = ["hmil": hmil, "reference": reference, "flat": flat]

    public static func preset(named name: String) -> ObjectiveConfig? { presets[name] }

    public init(
        preset: String, kind: Kind, coarseWeight: Double, fineWeight: Double,
        bagAlignment: BagAlignmentForm, bagAlignmentWeight: Double, attentionWeight: Double,
        contrastiveWeight: Double, curriculum: CurriculumSchedule, temperature: TemperatureSchedule,
        baseTemperature: Double, contrastiveDividedByBatchSize: Bool, siblingSmoothing: Double = 0
    ) {
        self.preset = preset
        self.kind = kind
        self.coarseWeight = coarseWeight
        self.fineWeight = fineWeight
        self.bagAlignment = bagAlignment
        self.bagAlignmentWeight = bagAlignmentWeight
        self.attentionWeight = attentionWeight
        self.contrastiveWeight = contrastiveWeight
        self.curriculum = curriculum
        self.temperature = temperature
        self.baseTemperature = baseTemperature
        self.contrastiveDividedByBatchSize = contrastiveDividedByBatchSize
        self.siblingSmoothing = siblingSmoothing
    }

    enum CodingKeys: String, CodingKey {
        case preset, kind, curriculum, temperature
        case coarseWeight = "coarse_weight"
        case fineWeight = "fine_weight"
        case bagAlignment = "bag_alignment"
        case bagAlignmentWeight = "bag_alignment_weight"
        case attentionWeight = "attention_weight"
        case contrastiveWeight = "contrastive_weight"
        case baseTemperature = "base_temperature"
        case contrastiveDividedByBatchSize = "contrastive_divided_by_batch_size"
        case siblingSmoothing = "sibling_smoothing"
    }

    /// Starts from the named preset (default `hmil`) and overrides whatever keys are present.
    /// An unknown preset is a DecodingError naming the known ones.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decodeIfPresent(String.self, forKey: .preset) ?? "hmil"
        guard let base = Self.preset(named: name) else {
            throw DecodingError.dataCorruptedError(
                forKey: .preset, in: c,
                debugDescription: "unknown objective preset '\(name)' (known: \(Self.presets.keys.sorted().joined(separator: ", ")))")
        }
        self = base
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? kind
        coarseWeight = try c.decodeIfPresent(Double.self, forKey: .coarseWeight) ?? coarseWeight
        fineWeight = try c.decodeIfPresent(Double.self, forKey: .fineWeight) ?? fineWeight
        bagAlignment = try c.decodeIfPresent(BagAlignmentForm.self, forKey: .bagAlignment) ?? bagAlignment
        bagAlignmentWeight = try c.decodeIfPresent(Double.self, forKey: .bagAlignmentWeight) ?? bagAlignmentWeight
        attentionWeight = try c.decodeIfPresent(Double.self, forKey: .attentionWeight) ?? attentionWeight
        contrastiveWeight = try c.decodeIfPresent(Double.self, forKey: .contrastiveWeight) ?? contrastiveWeight
        curriculum = try c.decodeIfPresent(CurriculumSchedule.self, forKey: .curriculum) ?? curriculum
        temperature = try c.decodeIfPresent(TemperatureSchedule.self, forKey: .temperature) ?? temperature
        baseTemperature = try c.decodeIfPresent(Double.self, forKey: .baseTemperature) ?? baseTemperature
        contrastiveDividedByBatchSize =
            try c.decodeIfPresent(Bool.self, forKey: .contrastiveDividedByBatchSize)
            ?? contrastiveDividedByBatchSize
        siblingSmoothing = try c.decodeIfPresent(Double.self, forKey: .siblingSmoothing) ?? siblingSmoothing
    }

    /// Checks what a user's file or flag can get wrong: weights finite and non-negative,
    /// temperatures positive, 0 ≤ sibling smoothing < 1. `source` names the file or flag in the error.
    public func validate(source: String) throws {
        let weights: [(String, Double)] = [
            ("coarse_weight", coarseWeight), ("fine_weight", fineWeight),
            ("bag_alignment_weight", bagAlignmentWeight), ("attention_weight", attentionWeight),
            ("contrastive_weight", contrastiveWeight)
        ]
        for (name, w) in weights where !(w.isFinite && w >= 0) {
            throw ToolError("objective weight \(name) is \(w)", at: source, hint: "use a finite weight ≥ 0")
        }
        let temperatures: [(String, Double)] = [
            ("temperature.low", temperature.low), ("temperature.high", temperature.high),
            ("base_temperature", baseTemperature)
        ]
        for (name, t) in temperatures where !(t.isFinite && t > 0) {
            throw ToolError("objective \(name) is \(t)", at: source, hint: "use a finite temperature > 0")
        }
        guard siblingSmoothing >= 0 && siblingSmoothing < 1 else {
            throw ToolError("objective sibling_smoothing is \(siblingSmoothing)", at: source, hint: "use 0 ≤ ε < 1 (0 is off)")
        }
    }
}
