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

    public var featureDim: Int          // D
    public var coarseClasses: Int       // Kc
    public var fineClasses: Int         // Kf
    public var scorer: Scorer
    public var embedding: Embedding
    /// Dropout 0.25 after tanh and sigmoid in both gated attentions (training forward only).
    public var dropout: Bool

    public init(featureDim: Int, coarseClasses: Int, fineClasses: Int, scorer: Scorer = .shared,
                embedding: Embedding = .released, dropout: Bool = false) {
        self.featureDim = featureDim
        self.coarseClasses = coarseClasses
        self.fineClasses = fineClasses
        self.scorer = scorer
        self.embedding = embedding
        self.dropout = dropout
    }

    enum CodingKeys: String, CodingKey {
        case featureDim = "feature_dim", coarseClasses = "coarse_classes", fineClasses = "fine_classes"
        case scorer, embedding, dropout
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
    public var featureDim: Int          // D
    public var classes: Int             // K
    public var dropout: Bool

    public init(featureDim: Int, classes: Int, dropout: Bool = false) {
        self.featureDim = featureDim
        self.classes = classes
        self.dropout = dropout
    }

    enum CodingKeys: String, CodingKey {
        case featureDim = "feature_dim", classes, dropout
    }

    /// Embedding width (feature.0): 256, as HMIL's first layer.
    public static let embeddingWidth = 256
    /// Gated attention hidden width: 128 (Ilse et al. use 128; CLAM's small model also 128).
    public static let attentionWidth = 128
    public static let dropoutRate: Float = 0.25
}
