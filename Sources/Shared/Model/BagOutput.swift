/// The contract between the model and the objective (DESIGN §3–4): what a forward pass yields for
/// one bag, and the gradient of the loss with respect to each of those outputs, which the model's
/// backward pass consumes. Matrices are row-major `[Float]` with the shapes named beside them.
///
/// For the flat ABMIL baseline the coarse fields are empty (Kc = 0), the fine attention has one row
/// and `embedding` is empty: its objective is fine cross-entropy only.
public struct BagOutput: Sendable {
    /// Number of instances N in the bag.
    public var instanceCount: Int
    public var coarseLogits: [Float]  // [Kc]
    public var fineLogits: [Float]  // [Kf]
    public var coarseAttention: [Float]  // [Kc, N], each row a softmax over instances
    public var fineAttention: [Float]  // [Kf, N] (ABMIL: [1, N])
    /// z: the fine bag features B_f with each row L2-normalised, for the contrastive term.
    public var embedding: [Float]  // [Kf, E], E = 256
    public var embeddingWidth: Int

    public init(
        instanceCount: Int, coarseLogits: [Float], fineLogits: [Float], coarseAttention: [Float],
        fineAttention: [Float], embedding: [Float], embeddingWidth: Int
    ) {
        self.instanceCount = instanceCount
        self.coarseLogits = coarseLogits
        self.fineLogits = fineLogits
        self.coarseAttention = coarseAttention
        self.fineAttention = fineAttention
        self.embedding = embedding
        self.embeddingWidth = embeddingWidth
    }
}

/// ∂L/∂(each field of BagOutput), same shapes. Zero-filled fields contribute nothing.
public struct BagOutputGradient: Sendable {
    public var coarseLogits: [Float]  // [Kc]
    public var fineLogits: [Float]  // [Kf]
    public var coarseAttention: [Float]  // [Kc, N]
    public var fineAttention: [Float]  // [Kf, N]
    public var embedding: [Float]  // [Kf, E]

    public init(
        coarseLogits: [Float], fineLogits: [Float], coarseAttention: [Float], fineAttention: [Float],
        embedding: [Float]
    ) {
        self.coarseLogits = coarseLogits
        self.fineLogits = fineLogits
        self.coarseAttention = coarseAttention
        self.fineAttention = fineAttention
        self.embedding = embedding
    }

    /// All-zero gradient shaped like `output`.
    public init(zeroLike output: BagOutput) {
        coarseLogits = [Float](repeating: 0, count: output.coarseLogits.count)
        fineLogits = [Float](repeating: 0, count: output.fineLogits.count)
        coarseAttention = [Float](repeating: 0, count: output.coarseAttention.count)
        fineAttention = [Float](repeating: 0, count: output.fineAttention.count)
        embedding = [Float](repeating: 0, count: output.embedding.count)
    }
}
