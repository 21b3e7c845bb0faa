/// The flat gated-attention MIL baseline (Ilse et al. 2018, "Attention-based Deep Multiple Instance
/// Learning"), on the same core as HMIL:
///     R = ReLU(X·W1ᵀ + b1)                      N×256   feature.0
///     A = softmax_N(wc·(tanh(R·Waᵀ + ba) ⊙ sigmoid(R·Wbᵀ + bb))ᵀ + bc)   1×N   attention.attention_{a,b,c}
///     logits = (A·R)·Wᵀ + b                     K       classifier
/// Its BagOutput has empty coarse fields, a 1×N attention and no embedding.
public final class ABMILModel: MILModel {
    public let options: ABMILOptions
    public let parameters: ParameterSet
    public var configuration: ModelConfiguration { .abmil(options) }

    let w1, b1, wa, ba, wb, bb, wc, bc, wk, bk: Parameter
    let layout: BlockLayout
    let snapshot: FloatBlocks
    private var reduction: FloatBlocks?
    // Snapshot blocks.
    let bW1, bB1, bGate, bGateBias, bScore, bScoreBias, bClassifier, bClassifierBias: Int

    var d: Int { options.featureDim }
    var k: Int { options.classes }
    static let e = ABMILOptions.embeddingWidth  // 256
    static let h = ABMILOptions.attentionWidth  // 128

    public convenience init(options: ABMILOptions, generator: inout SeededGenerator) {
        self.init(options: options)
        kaimingInitialize(parameters, generator: &generator)
        prepare()
    }

    public init(options: ABMILOptions) {
        precondition(options.featureDim > 0 && options.classes > 0)
        self.options = options
        let d = options.featureDim
        let e = Self.e
        let h = Self.h
        let k = options.classes
        w1 = Parameter(name: "feature.0.weight", shape: [e, d])
        b1 = Parameter(name: "feature.0.bias", shape: [e])
        wa = Parameter(name: "attention.attention_a.0.weight", shape: [h, e])
        ba = Parameter(name: "attention.attention_a.0.bias", shape: [h])
        wb = Parameter(name: "attention.attention_b.0.weight", shape: [h, e])
        bb = Parameter(name: "attention.attention_b.0.bias", shape: [h])
        wc = Parameter(name: "attention.attention_c.weight", shape: [1, h])
        bc = Parameter(name: "attention.attention_c.bias", shape: [1])
        wk = Parameter(name: "classifier.weight", shape: [k, e])
        bk = Parameter(name: "classifier.bias", shape: [k])
        parameters = ParameterSet([w1, b1, wa, ba, wb, bb, wc, bc, wk, bk])
        var layout = BlockLayout()
        bW1 = layout.append("w1", count: e * d)
        bB1 = layout.append("b1", count: e)
        bGate = layout.append("gate", count: 2 * h * e)
        bGateBias = layout.append("gateBias", count: 2 * h)
        bScore = layout.append("score", count: h)
        bScoreBias = layout.append("scoreBias", count: 1)
        bClassifier = layout.append("classifier", count: k * e)
        bClassifierBias = layout.append("classifierBias", count: k)
        self.layout = layout
        snapshot = FloatBlocks(layout: layout)
    }

    public func makeGradientBuffer() -> GradientBuffer { GradientBuffer(layout: layout) }

    /// (block, offset within it) of each parameter, in `parameters` order: gate stacks a over b.
    private var placement: [(Parameter, Int, Int)] {
        [
            (w1, bW1, 0), (b1, bB1, 0), (wa, bGate, 0), (ba, bGateBias, 0), (wb, bGate, wa.count), (bb, bGateBias, ba.count),
            (wc, bScore, 0), (bc, bScoreBias, 0), (wk, bClassifier, 0), (bk, bClassifierBias, 0)
        ]
    }

    public func prepare() {
        for (p, block, offset) in placement {
            withValues(p) { snapshot.block(block).advanced(by: offset).update(from: $0, count: p.count) }
        }
    }

    public func addGradients(_ buffers: [GradientBuffer]) {
        guard let g = sum(buffers) else { return }
        for (p, block, offset) in placement {
            withGradient(p) { axpy(1, g.block(block) + offset, into: $0, count: p.count) }
        }
    }

    public func setGradients(_ buffers: [GradientBuffer]) {
        guard let g = sum(buffers) else {
            parameters.zeroGradients()
            return
        }
        for (p, block, offset) in placement {
            withGradient(p) { copyAddingZero(g.block(block) + offset, into: $0, count: p.count) }
        }
    }

    /// The buffers' sum in array order (the one buffer itself when there is one).
    private func sum(_ buffers: [GradientBuffer]) -> GradientBuffer? {
        guard let g = FloatBlocks.sum(buffers, layout: layout, reusing: &reduction) else { return nil }
        precondition(g.layout == layout, "gradient buffer of another model")
        return g
    }

    enum Slot: Int { case r, p, g, a, pooled, masks, dR, dPooled, tileExp }

    private func w(_ block: Int, _ rows: Int, _ cols: Int) -> MatrixView { snapshot.matrix(block, rows: rows, cols: cols) }

    /// R = ReLU(X·W1ᵀ + b1) for rows of X; P = R·[Wa; Wb]ᵀ + [ba; bb]; G = gate; scores into s (1×t).
    private func attentionScores(x: MatrixView, ws: Workspace, scores s: MatrixView, masks: MatrixView?) -> (
        r: MatrixView, p: MatrixView, g: MatrixView
    ) {
        let t = x.rows
        let e = Self.e
        let h = Self.h
        let r = ws.matrix(Slot.r.rawValue, rows: t, cols: e)
        r.fillRows(with: snapshot.block(bB1))
        gemm(x, w(bW1, e, d), transposeB: true, into: r, beta: 1)
        reluForward(r)
        let p = ws.matrix(Slot.p.rawValue, rows: t, cols: 2 * h)
        p.fillRows(with: snapshot.block(bGateBias))
        gemm(r, w(bGate, 2 * h, e), transposeB: true, into: p, beta: 1)
        let g = ws.matrix(Slot.g.rawValue, rows: t, cols: h)
        gateForward(a: p.columns(0..<h), b: p.columns(h..<2 * h), into: g, masks: masks)
        s.fill(snapshot.block(bScoreBias)[0])
        gemm(w(bScore, 1, h), g, transposeB: true, into: s, beta: 1)
        return (r, p, g)
    }

    private func output(pooled: MatrixView, attention: MatrixView, n: Int) -> BagOutput {
        var logits = [Float](repeating: 0, count: k)
        logits.withUnsafeMutableBufferPointer { l in
            l.baseAddress!.update(from: snapshot.block(bClassifierBias), count: k)
            gemv(w(bClassifier, k, Self.e), pooled.base, into: l.baseAddress!, beta: 1)
        }
        return BagOutput(
            instanceCount: n, coarseLogits: [], fineLogits: logits, coarseAttention: [],
            fineAttention: Array(UnsafeBufferPointer(start: attention.base, count: n)),
            embedding: [], embeddingWidth: 0)
    }

    public func forward(features: [Float], instanceCount n: Int, workspace ws: Workspace) -> BagOutput {
        precondition(n >= 1 && features.count == n * d, "bag must be N×D with N ≥ 1 (D = \(d))")
        ws.features = features
        ws.instanceCount = n
        ws.pendingBackward = ObjectIdentifier(self)
        var masks: MatrixView?
        if options.dropout {
            precondition(ws.dropoutGenerator != nil, "model has dropout: set workspace.dropoutGenerator")
            masks = ws.matrix(Slot.masks.rawValue, rows: n, cols: 2 * Self.h)
            drawDropoutMasks(masks!, rate: ABMILOptions.dropoutRate, generator: &ws.dropoutGenerator!)
        }
        let a = ws.matrix(Slot.a.rawValue, rows: 1, cols: n)
        let r = features.withUnsafeBufferPointer { x in
            attentionScores(
                x: MatrixView(UnsafeMutablePointer(mutating: x.baseAddress!), rows: n, cols: d),
                ws: ws, scores: a, masks: masks
            ).r
        }
        softmaxRowsForward(a)
        let pooled = ws.matrix(Slot.pooled.rawValue, rows: 1, cols: Self.e)
        gemm(a, r, into: pooled)
        return output(pooled: pooled, attention: a, n: n)
    }

    public func infer(features: [Float], instanceCount n: Int, workspace ws: Workspace) -> BagOutput {
        precondition(n >= 1 && features.count == n * d, "bag must be N×D with N ≥ 1 (D = \(d))")
        ws.pendingBackward = nil
        let a = ws.matrix(Slot.a.rawValue, rows: 1, cols: n)
        let pooled = ws.matrix(Slot.pooled.rawValue, rows: 1, cols: Self.e)
        pooled.fill(0)
        let pool = OnlineSoftmax(classes: 1)
        features.withUnsafeBufferPointer { xAll in
            let x = MatrixView(UnsafeMutablePointer(mutating: xAll.baseAddress!), rows: n, cols: d)
            var start = 0
            while start < n {
                let t = min(HMILModel.inferenceTile, n - start)
                let s = a.columns(start..<start + t)
                let r = attentionScores(x: x.rows(start..<start + t), ws: ws, scores: s, masks: nil).r
                pool.add(scores: s, values: r, exp: ws.matrix(Slot.tileExp.rawValue, rows: 1, cols: t), into: pooled)
                start += t
            }
        }
        pool.finish(scores: a, pooled: pooled)
        return output(pooled: pooled, attention: a, n: n)
    }

    public func backward(_ gradient: BagOutputGradient, workspace ws: Workspace, into grads: GradientBuffer) {
        precondition(ws.pendingBackward == ObjectIdentifier(self), "backward needs a training forward of this model on this workspace")
        precondition(grads.layout == layout, "gradient buffer of another model")
        let n = ws.instanceCount
        let e = Self.e
        let h = Self.h
        precondition(gradient.fineLogits.count == k && gradient.fineAttention.count == n, "BagOutputGradient shapes")
        let r = ws.matrix(Slot.r.rawValue, rows: n, cols: e)
        let p = ws.matrix(Slot.p.rawValue, rows: n, cols: 2 * h)
        let g = ws.matrix(Slot.g.rawValue, rows: n, cols: h)
        let a = ws.matrix(Slot.a.rawValue, rows: 1, cols: n)
        let pooled = ws.matrix(Slot.pooled.rawValue, rows: 1, cols: e)
        let masks = options.dropout ? ws.matrix(Slot.masks.rawValue, rows: n, cols: 2 * h) : nil
        let ones = ws.ones(count: n)
        func grad(_ block: Int, _ rows: Int, _ cols: Int) -> MatrixView { grads.matrix(block, rows: rows, cols: cols) }

        // logits = Wk·pooled + bk → dWk += gL ⊗ pooled, dbk += gL, dpooled = Wkᵀ·gL.
        let dPooled = ws.matrix(Slot.dPooled.rawValue, rows: 1, cols: e)
        gradient.fineLogits.withUnsafeBufferPointer { gl in
            let gLogits = MatrixView(UnsafeMutablePointer(mutating: gl.baseAddress!), rows: 1, cols: k)
            gemm(gLogits, transposeA: true, pooled, into: grad(bClassifier, k, e), beta: 1)
            axpy(1, gl.baseAddress!, into: grads.block(bClassifierBias), count: k)
            gemv(w(bClassifier, k, e), transposeA: true, gl.baseAddress!, into: dPooled.base)
        }
        // pooled = A·R → dA = gA + dpooled·Rᵀ; softmax → dS (over dA, reusing the A-gradient in place).
        let dA = ws.matrix(Slot.tileExp.rawValue, rows: 1, cols: n)
        gradient.fineAttention.withUnsafeBufferPointer { dA.base.update(from: $0.baseAddress!, count: n) }
        gemv(r, dPooled.base, into: dA.base, beta: 1)
        softmaxRowsBackward(output: a, gradient: dA)
        // S = wc·Gᵀ + bc → dwc, dbc, dG = dSᵀ·wc (over G); gate → dP (over P); P = R·Wgᵀ + bg → dWg, dbg.
        gemv(g, transposeA: true, dA.base, into: grads.block(bScore), beta: 1)
        grads.block(bScoreBias)[0] += dot(dA.base, ones, count: n)
        gemm(dA, transposeA: true, w(bScore, 1, h), into: g)
        gateBackward(a: p.columns(0..<h), b: p.columns(h..<2 * h), gradient: g, masks: masks)
        gemm(p, transposeA: true, r, into: grad(bGate, 2 * h, e), beta: 1)
        gemv(p, transposeA: true, ones, into: grads.block(bGateBias), beta: 1)
        // dR = dP·Wg + Aᵀ·dpooled; ReLU; dW1 += dRᵀ·X, db1 += Σ_n dR.
        let dR = ws.matrix(Slot.dR.rawValue, rows: n, cols: e)
        gemm(p, w(bGate, 2 * h, e), into: dR)
        gemm(a, transposeA: true, dPooled, into: dR, beta: 1)
        reluBackward(output: r, gradient: dR)
        ws.features.withUnsafeBufferPointer { x in
            gemm(
                dR, transposeA: true, MatrixView(UnsafeMutablePointer(mutating: x.baseAddress!), rows: n, cols: d),
                into: grad(bW1, e, d), beta: 1)
        }
        gemv(dR, transposeA: true, ones, into: grads.block(bB1), beta: 1)
        ws.pendingBackward = nil
        ws.releaseFeatures()
    }
}
