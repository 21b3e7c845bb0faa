/// The HMIL architecture's options (DESIGN §3). The release's choices are the defaults.
public struct HMILOptions: Codable, Equatable, Sendable {
    /// One scorer shared by all class rows of a level (as released) or one per class (as CLAM-MB).
    public enum Scorer: String, Codable, Sendable, CaseIterable {
        case shared
        case perClass = "per_class"
    }

    /// `released`: coarse features h_c = W2·ReLU(W1·x + b1) + b2 (D→256→D), fine h_f = W3·h_c + b3.
    /// `shared`: one 256-d embedding h_c = ReLU(W1·x + b1) for both branches, fine h_f = W3·h_c + b3 (256→256).
    public enum Embedding: String, Codable, Sendable, CaseIterable {
        case released
        case shared
    }

    /// Coarse-gated fine attention: fine class f's attention scores add γ_f·log A_c[π(f), ·] before
    /// the softmax over instances, so the fine branch looks where its coarse class looks.
    public enum CoarseGate: String, Codable, Sendable, CaseIterable {
        /// No gate (as released).
        case none
        /// γ = 1; the fine loss also trains the coarse attention through the gate.
        case fixed
        /// γ_f ≥ 0 trained per fine class (tensor `coarse_gate.gamma`, initialised at 0), gradient as `fixed`.
        case learned
        /// γ = 1 with A_c a constant in the gate (stop-gradient): the coarse branch is not pulled by it.
        case detached
    }

    /// The coarse head as a prior on the fine logits: logit_f[j] += λ·log softmax(logit_c)[π(j)],
    /// i.e. p(f) ∝ p_fine(f)·p_coarse(π(f))^λ built into the model (training and inference).
    public enum FinePrior: String, Codable, Sendable, CaseIterable {
        case none
        /// The fine loss also trains the coarse head through the prior.
        case coarse
        /// The prior is a constant for the gradient: no gradient into the coarse head from it.
        case coarseDetached = "coarse-detached"
    }

    public var featureDim: Int  // D
    public var coarseClasses: Int  // Kc
    public var fineClasses: Int  // Kf
    public var scorer: Scorer
    public var embedding: Embedding
    /// Dropout 0.25 after tanh and sigmoid in both gated attentions (training forward only).
    public var dropout: Bool
    public var coarseGate: CoarseGate
    public var finePrior: FinePrior
    /// λ of the fine prior.
    public var finePriorWeight: Double
    /// π: the coarse class index of each fine class (hierarchy order), [Kf]; needed (and recorded)
    /// only when the gate or the prior is on.
    public var fineParents: [Int]

    public init(
        featureDim: Int, coarseClasses: Int, fineClasses: Int, scorer: Scorer = .shared,
        embedding: Embedding = .released, dropout: Bool = false, coarseGate: CoarseGate = .none,
        finePrior: FinePrior = .none, finePriorWeight: Double = 1, fineParents: [Int] = []
    ) {
        self.featureDim = featureDim
        self.coarseClasses = coarseClasses
        self.fineClasses = fineClasses
        self.scorer = scorer
        self.embedding = embedding
        self.dropout = dropout
        self.coarseGate = coarseGate
        self.finePrior = finePrior
        self.finePriorWeight = finePriorWeight
        self.fineParents = fineParents
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case featureDim = "feature_dim"
        case coarseClasses = "coarse_classes"
        case fineClasses = "fine_classes"
        case scorer, embedding, dropout
        case coarseGate = "coarse_gate"
        case finePrior = "fine_prior"
        case finePriorWeight = "fine_prior_weight"
        case fineParents = "fine_parents"
    }

    /// Whether the model reads the hierarchy (π): the gate or the prior is on.
    public var usesHierarchy: Bool { coarseGate != .none || finePrior != .none }

    /// What is wrong with the options as a model description, or nil.
    public var problem: String? {
        guard usesHierarchy else { return nil }
        guard fineParents.count == fineClasses else {
            return "fine_parents has \(fineParents.count) entries for \(fineClasses) fine classes"
        }
        if let bad = fineParents.first(where: { !(0..<coarseClasses).contains($0) }) {
            return "fine_parents names coarse class \(bad) of \(coarseClasses)"
        }
        guard finePriorWeight.isFinite, finePriorWeight >= 0 else { return "fine_prior_weight must be a finite number ≥ 0" }
        return nil
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            featureDim: try c.decode(Int.self, forKey: .featureDim),
            coarseClasses: try c.decode(Int.self, forKey: .coarseClasses),
            fineClasses: try c.decode(Int.self, forKey: .fineClasses),
            scorer: try c.decode(Scorer.self, forKey: .scorer),
            embedding: try c.decode(Embedding.self, forKey: .embedding),
            dropout: try c.decode(Bool.self, forKey: .dropout))
        coarseGate = try c.decodeIfPresent(CoarseGate.self, forKey: .coarseGate) ?? coarseGate
        finePrior = try c.decodeIfPresent(FinePrior.self, forKey: .finePrior) ?? finePrior
        finePriorWeight = try c.decodeIfPresent(Double.self, forKey: .finePriorWeight) ?? finePriorWeight
        fineParents = try c.decodeIfPresent([Int].self, forKey: .fineParents) ?? fineParents
    }

    /// The variants' keys are written only when on, so a default model's description (and so its
    /// checkpoint metadata) is what it was before they existed.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(featureDim, forKey: .featureDim)
        try c.encode(coarseClasses, forKey: .coarseClasses)
        try c.encode(fineClasses, forKey: .fineClasses)
        try c.encode(scorer, forKey: .scorer)
        try c.encode(embedding, forKey: .embedding)
        try c.encode(dropout, forKey: .dropout)
        if coarseGate != .none { try c.encode(coarseGate, forKey: .coarseGate) }
        if finePrior != .none {
            try c.encode(finePrior, forKey: .finePrior)
            try c.encode(finePriorWeight, forKey: .finePriorWeight)
        }
        if usesHierarchy { try c.encode(fineParents, forKey: .fineParents) }
    }

    /// Width of the embedding (first layer) and of the fine features: 256 as released.
    public static let embeddingWidth = 256
    /// Hidden width of the coarse gated attention (attention_a/b of coarse_attention): 256.
    public static let coarseAttentionWidth = 256
    /// Hidden width of the fine gated attention: 64.
    public static let fineAttentionWidth = 64
    /// Dropout rate when `dropout` is on (as released).
    public static let dropoutRate: Float = 0.25

    /// Width of h_c: D as released, 256 with the shared embedding.
    public var coarseFeatureWidth: Int { embedding == .released ? featureDim : Self.embeddingWidth }
}

/// The flat gated-attention ABMIL baseline (Ilse et al. 2018): x → ReLU(W·x + b) (256-d) →
/// gated attention (hidden 128, one attention row) → attention pooling → K logits.
public struct ABMILOptions: Codable, Equatable, Sendable {
    public var featureDim: Int  // D
    public var classes: Int  // K
    public var dropout: Bool

    public init(featureDim: Int, classes: Int, dropout: Bool = false) {
        self.featureDim = featureDim
        self.classes = classes
        self.dropout = dropout
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case featureDim = "feature_dim"
        case classes, dropout
    }

    /// Embedding width (feature.0): 256, as HMIL's first layer.
    public static let embeddingWidth = 256
    /// Gated attention hidden width: 128 (Ilse et al. use 128; CLAM's small model also 128).
    public static let attentionWidth = 128
    public static let dropoutRate: Float = 0.25
}

extension HMILOptions {
    /// The keys a checkpoint's options may hold; any other comes from a newer hmil.
    static var knownKeys: Set<String> { Set(CodingKeys.allCases.map(\.rawValue)) }
}

extension ABMILOptions {
    static var knownKeys: Set<String> { Set(CodingKeys.allCases.map(\.rawValue)) }
}
