/// HMIL (DESIGN §3; the official release's `HMIL` module) for any D, Kc, Kf, with the scorer and
/// embedding options. Parameters carry the release's state_dict names and shapes (§2.6).
///
/// Working in the 256-d space: nothing nonlinear lies between `feature_extractor.2` (W2) and the
/// maps that read h_c (the feature_reducer W3, the coarse attention's W_a and W_b), and the coarse
/// pooling is affine in h_c because each attention row sums to 1. So the N×D matrix h_c is never
/// formed: `prepare()` composes
///     M = [W3; Wa; Wb]·W2   (768×256),   c = [W3; Wa; Wb]·b2 + [b3; ba; bb]   (768)
/// once per step, every instance then costs one 768×256 product on R = ReLU(W1·x + b1), and
///     B_c = A_c·h_c = (A_c·R)·W2ᵀ + b2.
/// Backward yields ∂L/∂M and ∂L/∂c; `addGradients` maps them onto W2, b2, W3, Wa, Wb and their
/// biases once per step (the map is linear, so it commutes with summing over bags).
/// With `embedding: shared` there is no W2: M = [W3; Wa; Wb] and h_c = R.
///
/// The fine gate composes too: its pre-activations P_f = h_f·Wfᵀ + bf are affine in h_f = R·M_fᵀ + c_f,
/// so the forward (training and inference) reads [P_f | a_c | b_c] = R·Fᵀ + f from one 640×256 map
///     F = [Wf·M_f; M_a; M_b],   f = [Wf·c_f + bf; c_a; c_b]
/// and pools R for the fine branch too: B_f = A_f·h_f = (A_f·R)·M_fᵀ + c_f. `addGradients` maps
/// ∂L/∂(Wf·M_f), ∂L/∂(Wf·c_f + bf) onto Wf, bf and (adding to what B_f gives) M_f, c_f.
///
/// The coarse gate and the fine prior (DESIGN §3, HMILOptions) act on the attention scores and on
/// the logits, after every product: they change no map above, only add `coarse_gate.gamma` [Kf]
/// (learned gate) at the end of the parameters.
public final class HMILModel: MILModel {
    public let options: HMILOptions
    public let parameters: ParameterSet
    public var configuration: ModelConfiguration { .hmil(options) }

    // Parameters, by role (state_dict order is that of `parameters`).
    let w1, b1: Parameter  // feature_extractor.0  [256, D]
    let w2, b2: Parameter?  // feature_extractor.2  [D, 256] (released embedding only)
    let w3, b3: Parameter  // feature_reducer.0    [256, Dc]
    let wa, ba, wb, bb, wc, bc: Parameter  // coarse_attention.0   [256, Dc], [256, Dc], [Kc, 256]
    let wfa, bfa, wfb, bfb, wfc, bfc: Parameter  // fine_attention.0 [64, 256], [64, 256], [Kf, 64]
    let coarseScorers: [(weight: Parameter, bias: Parameter)]  // [1, Dc] each; 1 or Kc of them
    let fineScorers: [(weight: Parameter, bias: Parameter)]  // [1, 256] each; 1 or Kf of them
    let gamma: Parameter?  // coarse_gate.gamma    [Kf] (learned coarse gate only)

    /// Blocks of the weight snapshot (and of gradient buffers).
    struct Blocks {
        var w1 = 0, b1 = 0, composed = 0, composedBias = 0, w2 = 0, b2 = 0, coarseScore = 0, coarseScoreBias = 0
        var fineGate = 0, fineGateBias = 0, fineScore = 0, fineScoreBias = 0
        var coarseScorer = 0, coarseScorerBias = 0, fineScorer = 0, fineScorerBias = 0
        var coarseGate = 0  // γ per fine class as the forward uses it (empty without a gate)
    }
    // In gradient buffers two blocks hold the gradient of what the forward reads in their place:
    // fineGate ∂L/∂(Wf·M_f) [128, 256] and fineGateBias ∂L/∂(Wf·c_f + bf) [128] (rows of F and f), and
    // rows 0..<256 of composed/composedBias only what reaches M_f, c_f through B_f.
    let blocks: Blocks
    let layout: BlockLayout
    /// The weights forward/backward read, made by `prepare()`.
    let snapshot: FloatBlocks
    /// The map the forward reads, made by `prepare()` from the snapshot: F = [Wf·M_f (128) | M_a (256) |
    /// M_b (256)], 640×256 (block 0), and its bias f (block 1); h_f is never formed.
    let fusedSnapshot: FloatBlocks
    static let fusedRows = 2 * hf + 2 * hc  // 640
    /// Sum of workers' gradient buffers, reused by `addGradients`.
    private var reduction: FloatBlocks?
    /// ∂L/∂M_f and ∂L/∂c_f in full (through B_f and through the fine gate), made by `addGradients`.
    private var fineChain: FloatBlocks?

    // Dimensions.
    var d: Int { options.featureDim }
    var dc: Int { options.coarseFeatureWidth }
    var kc: Int { options.coarseClasses }
    var kf: Int { options.fineClasses }
    /// π, the coarse class of each fine class (empty unless the gate or the prior is on).
    var parents: [Int] { options.fineParents }
    static let e = HMILOptions.embeddingWidth  // 256
    static let hc = HMILOptions.coarseAttentionWidth  // 256
    static let hf = HMILOptions.fineAttentionWidth  // 64
    /// Columns of Y = R·Mᵀ + c: [h_f | a_c | b_c].
    static let composedRows = e + 2 * hc  // 768

    /// A model with Kaiming-normal weights (fan-in, gain √2) and zero biases drawn from `generator`.
    public convenience init(options: HMILOptions, generator: inout SeededGenerator) {
        self.init(options: options)
        kaimingInitialize(parameters, generator: &generator)
        prepare()
    }

    /// A model with all parameters zero (to be loaded); call `prepare()` after setting values.
    public init(options: HMILOptions) {
        precondition(options.featureDim > 0 && options.coarseClasses > 0 && options.fineClasses > 0)
        precondition(options.problem == nil, options.problem ?? "")
        self.options = options
        let d = options.featureDim
        let dc = options.coarseFeatureWidth
        let e = Self.e
        let hc = Self.hc
        let hf = Self.hf
        var list: [Parameter] = []
        func make(_ name: String, _ shape: [Int]) -> Parameter {
            let p = Parameter(name: name, shape: shape)
            list.append(p)
            return p
        }
        w1 = make("feature_extractor.0.weight", [e, d])
        b1 = make("feature_extractor.0.bias", [e])
        if options.embedding == .released {
            w2 = make("feature_extractor.2.weight", [d, e])
            b2 = make("feature_extractor.2.bias", [d])
        } else {
            w2 = nil
            b2 = nil
        }
        w3 = make("feature_reducer.0.weight", [e, dc])
        b3 = make("feature_reducer.0.bias", [e])
        wa = make("coarse_attention.0.attention_a.0.weight", [hc, dc])
        ba = make("coarse_attention.0.attention_a.0.bias", [hc])
        wb = make("coarse_attention.0.attention_b.0.weight", [hc, dc])
        bb = make("coarse_attention.0.attention_b.0.bias", [hc])
        wc = make("coarse_attention.0.attention_c.weight", [options.coarseClasses, hc])
        bc = make("coarse_attention.0.attention_c.bias", [options.coarseClasses])
        wfa = make("fine_attention.0.attention_a.0.weight", [hf, e])
        bfa = make("fine_attention.0.attention_a.0.bias", [hf])
        wfb = make("fine_attention.0.attention_b.0.weight", [hf, e])
        bfb = make("fine_attention.0.attention_b.0.bias", [hf])
        wfc = make("fine_attention.0.attention_c.weight", [options.fineClasses, hf])
        bfc = make("fine_attention.0.attention_c.bias", [options.fineClasses])
        switch options.scorer {
        case .shared:
            coarseScorers = [(make("coarse_classifier.weight", [1, dc]), make("coarse_classifier.bias", [1]))]
            fineScorers = [(make("fine_classifier.weight", [1, e]), make("fine_classifier.bias", [1]))]
        case .perClass:
            coarseScorers = (0..<options.coarseClasses).map {
                (make("coarse_classifiers.\($0).weight", [1, dc]), make("coarse_classifiers.\($0).bias", [1]))
            }
            fineScorers = (0..<options.fineClasses).map {
                (make("fine_classifiers.\($0).weight", [1, e]), make("fine_classifiers.\($0).bias", [1]))
            }
        }
        gamma = options.coarseGate == .learned ? make("coarse_gate.gamma", [options.fineClasses]) : nil
        parameters = ParameterSet(list)

        var layout = BlockLayout()
        var b = Blocks()
        b.w1 = layout.append("w1", count: e * d)
        b.b1 = layout.append("b1", count: e)
        b.composed = layout.append("composed", count: Self.composedRows * e)
        b.composedBias = layout.append("composedBias", count: Self.composedRows)
        b.w2 = layout.append("w2", count: options.embedding == .released ? d * e : 0)
        b.b2 = layout.append("b2", count: options.embedding == .released ? d : 0)
        b.coarseScore = layout.append("coarseScore", count: options.coarseClasses * hc)
        b.coarseScoreBias = layout.append("coarseScoreBias", count: options.coarseClasses)
        b.fineGate = layout.append("fineGate", count: 2 * hf * e)
        b.fineGateBias = layout.append("fineGateBias", count: 2 * hf)
        b.fineScore = layout.append("fineScore", count: options.fineClasses * hf)
        b.fineScoreBias = layout.append("fineScoreBias", count: options.fineClasses)
        b.coarseScorer = layout.append("coarseScorer", count: coarseScorers.count * dc)
        b.coarseScorerBias = layout.append("coarseScorerBias", count: coarseScorers.count)
        b.fineScorer = layout.append("fineScorer", count: fineScorers.count * e)
        b.fineScorerBias = layout.append("fineScorerBias", count: fineScorers.count)
        b.coarseGate = layout.append("coarseGate", count: options.coarseGate == .none ? 0 : options.fineClasses)
        blocks = b
        self.layout = layout
        snapshot = FloatBlocks(layout: layout)
        var fusedLayout = BlockLayout()
        fusedLayout.append("fused", count: Self.fusedRows * e)
        fusedLayout.append("fusedBias", count: Self.fusedRows)
        fusedSnapshot = FloatBlocks(layout: fusedLayout)
    }

    public func makeGradientBuffer() -> GradientBuffer { GradientBuffer(layout: layout) }

    /// The three maps that read h_c, stacked as in M and c: feature_reducer, attention_a, attention_b.
    private var composedSources: [(weight: Parameter, bias: Parameter)] { [(w3, b3), (wa, ba), (wb, bb)] }

    public func prepare() {
        let s = snapshot
        let e = Self.e
        func copy(_ p: Parameter, to block: Int, at offset: Int = 0) {
            withValues(p) { s.block(block).advanced(by: offset).update(from: $0, count: p.count) }
        }
        copy(w1, to: blocks.w1)
        copy(b1, to: blocks.b1)
        for (i, source) in composedSources.enumerated() {
            let rows = s.block(blocks.composed) + i * e * e  // 256 rows of M, 256 wide
            let bias = s.block(blocks.composedBias) + i * e
            if let w2, let b2 {
                // M_i = W_i·W2 (256×D · D×256), c_i = W_i·b2 + b_i.
                withValues(source.weight) { wi in
                    withValues(w2) { w2v in
                        gemm(
                            MatrixView(wi, rows: e, cols: d), MatrixView(w2v, rows: d, cols: e),
                            into: MatrixView(rows, rows: e, cols: e))
                    }
                    withValues(source.bias) { bias.update(from: $0, count: e) }
                    withValues(b2) { gemv(MatrixView(wi, rows: e, cols: d), $0, into: bias, beta: 1) }
                }
            } else {
                withValues(source.weight) { rows.update(from: $0, count: e * e) }
                withValues(source.bias) { bias.update(from: $0, count: e) }
            }
        }
        if let w2, let b2 {
            copy(w2, to: blocks.w2)
            copy(b2, to: blocks.b2)
        }
        copy(wc, to: blocks.coarseScore)
        copy(bc, to: blocks.coarseScoreBias)
        copy(wfa, to: blocks.fineGate)
        copy(wfb, to: blocks.fineGate, at: wfa.count)
        copy(bfa, to: blocks.fineGateBias)
        copy(bfb, to: blocks.fineGateBias, at: bfa.count)
        copy(wfc, to: blocks.fineScore)
        copy(bfc, to: blocks.fineScoreBias)
        for (k, scorer) in coarseScorers.enumerated() {
            copy(scorer.weight, to: blocks.coarseScorer, at: k * dc)
            copy(scorer.bias, to: blocks.coarseScorerBias, at: k)
        }
        for (j, scorer) in fineScorers.enumerated() {
            copy(scorer.weight, to: blocks.fineScorer, at: j * e)
            copy(scorer.bias, to: blocks.fineScorerBias, at: j)
        }
        if let gamma {
            // γ ≥ 0: a step that took γ below 0 is projected back onto the constraint (projected
            // gradient), so the gate can switch off but never turns into "look where the coarse does not".
            for i in gamma.value.indices where gamma.value[i] < 0 { gamma.value[i] = 0 }
            copy(gamma, to: blocks.coarseGate)
        } else if options.coarseGate != .none {
            s.block(blocks.coarseGate).update(repeating: 1, count: kf)
        }
        // The forward's map: F = [Wf·M_f; M_a; M_b] and f = [Wf·c_f + bf; c_a; c_b].
        let fineRows = 2 * Self.hf
        let im = fusedSnapshot.block(0)
        let ib = fusedSnapshot.block(1)
        let m = s.block(blocks.composed)
        let c = s.block(blocks.composedBias)
        gemm(w(blocks.fineGate, fineRows, e), MatrixView(m, rows: e, cols: e), into: MatrixView(im, rows: fineRows, cols: e))
        ib.update(from: s.block(blocks.fineGateBias), count: fineRows)
        gemv(w(blocks.fineGate, fineRows, e), c, into: ib, beta: 1)
        (im + fineRows * e).update(from: m + e * e, count: 2 * Self.hc * e)
        (ib + fineRows).update(from: c + e, count: 2 * Self.hc)
    }

    public func addGradients(_ buffers: [GradientBuffer]) {
        guard let g = FloatBlocks.sum(buffers, layout: layout, reusing: &reduction) else { return }
        precondition(g.layout == layout, "gradient buffer of another model")
        let e = Self.e
        func add(_ block: Int, at offset: Int = 0, to p: Parameter) {
            withGradient(p) { axpy(1, g.block(block) + offset, into: $0, count: p.count) }
        }
        add(blocks.w1, to: w1)
        add(blocks.b1, to: b1)
        if let w2, let b2 {
            add(blocks.w2, to: w2)
            add(blocks.b2, to: b2)
        }
        let (dMf, dcf) = fineGateChain(g)
        for (i, source) in composedSources.enumerated() {
            let dM = i == 0 ? dMf : g.block(blocks.composed) + i * e * e  // ∂L/∂M_i  [256, 256]
            let dc = i == 0 ? dcf : g.block(blocks.composedBias) + i * e  // ∂L/∂c_i  [256]
            withGradient(source.bias) { axpy(1, dc, into: $0, count: e) }  // ∂c_i/∂b_i = I
            guard let w2, let b2 else {
                withGradient(source.weight) { axpy(1, dM, into: $0, count: e * e) }
                continue
            }
            withValues(w2) { w2v in
                withValues(source.weight) { wi in
                    withGradient(source.weight) { dWi in
                        // ∂L/∂W_i = ∂L/∂M_i·W2ᵀ + ∂L/∂c_i ⊗ b2     [256, D]
                        gemm(
                            MatrixView(dM, rows: e, cols: e), MatrixView(w2v, rows: d, cols: e), transposeB: true,
                            into: MatrixView(dWi, rows: e, cols: d), beta: 1)
                        withValues(b2) { b2v in for r in 0..<e { axpy(dc[r], b2v, into: dWi + r * d, count: d) } }
                    }
                    // ∂L/∂W2 += W_iᵀ·∂L/∂M_i [D, 256];  ∂L/∂b2 += W_iᵀ·∂L/∂c_i [D]
                    withGradient(w2) {
                        gemm(
                            MatrixView(wi, rows: e, cols: d), transposeA: true, MatrixView(dM, rows: e, cols: e),
                            into: MatrixView($0, rows: d, cols: e), beta: 1)
                    }
                    withGradient(b2) { gemv(MatrixView(wi, rows: e, cols: d), transposeA: true, dc, into: $0, beta: 1) }
                }
            }
        }
        add(blocks.coarseScore, to: wc)
        add(blocks.coarseScoreBias, to: bc)
        add(blocks.fineGateBias, to: bfa)
        add(blocks.fineGateBias, at: bfa.count, to: bfb)  // ∂f/∂bf = I
        add(blocks.fineScore, to: wfc)
        add(blocks.fineScoreBias, to: bfc)
        for (k, scorer) in coarseScorers.enumerated() {
            add(blocks.coarseScorer, at: k * dc, to: scorer.weight)
            add(blocks.coarseScorerBias, at: k, to: scorer.bias)
        }
        for (j, scorer) in fineScorers.enumerated() {
            add(blocks.fineScorer, at: j * e, to: scorer.weight)
            add(blocks.fineScorerBias, at: j, to: scorer.bias)
        }
        if let gamma { add(blocks.coarseGate, to: gamma) }
    }

    /// F's first rows are Wf·M_f and f's are Wf·c_f + bf: from the fine gate's blocks of `g`
    /// (∂L/∂(Wf·M_f), ∂L/∂(Wf·c_f + bf)) adds ∂L/∂Wf = ∂L/∂(Wf·M_f)·M_fᵀ + ∂L/∂(Wf·c_f + bf) ⊗ c_f to
    /// wfa, wfb and returns ∂L/∂M_f, ∂L/∂c_f in full: what B_f gave plus Wfᵀ·∂L/∂(Wf·M_f), Wfᵀ·∂L/∂(Wf·c_f + bf).
    private func fineGateChain(_ g: FloatBlocks) -> (dM: UnsafeMutablePointer<Float>, dc: UnsafeMutablePointer<Float>) {
        let e = Self.e
        let hf = Self.hf
        let chain =
            fineChain
            ?? {
                var layout = BlockLayout()
                layout.append("dMf", count: e * e)
                layout.append("dcf", count: e)
                return FloatBlocks(layout: layout)
            }()
        fineChain = chain
        let wf = w(blocks.fineGate, 2 * hf, e)
        let dF = g.matrix(blocks.fineGate, rows: 2 * hf, cols: e)
        let df = g.block(blocks.fineGateBias)
        let mf = w(blocks.composed, e, e)
        let cf = snapshot.block(blocks.composedBias)
        for (rows, p) in [(0..<hf, wfa), (hf..<2 * hf, wfb)] {
            withGradient(p) { dW in
                gemm(dF.rows(rows), mf, transposeB: true, into: MatrixView(dW, rows: hf, cols: e), beta: 1)
                for (k, r) in rows.enumerated() { axpy(df[r], cf, into: dW + k * e, count: e) }
            }
        }
        let dMf = chain.matrix(0, rows: e, cols: e)
        let dcf = chain.block(1)
        dMf.base.update(from: g.block(blocks.composed), count: e * e)
        gemm(wf, transposeA: true, dF, into: dMf, beta: 1)
        dcf.update(from: g.block(blocks.composedBias), count: e)
        gemv(wf, transposeA: true, df, into: dcf, beta: 1)
        return (dMf.base, dcf)
    }
}
