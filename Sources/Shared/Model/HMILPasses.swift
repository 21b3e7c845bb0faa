import Foundation

/// HMIL's forward and backward passes over one bag. Shapes: N instances, D features, E = 256,
/// Kc/Kf classes, Dc = width of h_c (D, or 256 with the shared embedding). Each step of `backward`
/// undoes the matching step of `forward`, in reverse order.
///
/// Training and inference run the same composed map (HMILModel, `fused`): h_f = R·M_fᵀ + c_f is
/// never formed per instance, the fine gate reads P_f = R·(Wf·M_f)ᵀ + (Wf·c_f + bf) from the one
/// product that also gives the coarse gate's pre-activations, and B_f = A_f·h_f = (A_f·R)·M_fᵀ + c_f
/// (each row of A_f sums to 1). That saves the N×256 h_f and its products with Wf (forward, dWf and
/// dh_f): ~16 % of a step's FLOPs. The arithmetic is that of the release up to float rounding
/// (products taken in another order), which ModelParityTests hold to PyTorch within tolerance.
///
/// Workspace after a training forward (floats per instance in brackets; 1 495 in all for Kc 3, Kf 7,
/// with the attention gradients and the ones vector: 6 kB per instance):
///   R  N×256  ReLU(X·W1ᵀ + b1)                                                          [256]
///   Y  N×640  [P_f | a_c | b_c] = R·Fᵀ + f, then [tanh | sigmoid] of each gate in place  [640]
///   Gc N×256  coarse gate;  Gf N×64 fine gate                                           [320]
///   Ac Kc×N, Af Kf×N attention;  dR N×256 (backward)                                     [256 + Kc + Kf]
///   Lc Kc×N log A_c = log softmax_N(S_c), with the coarse gate only                      [Kc]
/// Backward overwrites Y, Gc, Gf with their gradients, in place (and Lc).
extension HMILModel {
    enum Slot: Int {
        case r, y, gc, gf, ac, af, pooledR, finePooledR, bc, bf, z, norms, coarseMasks, fineMasks
        case dR, dBc, dPooledR, dFinePooledR, dBf, dAc, dAf
        case tileExp, tileScoresC, tileScoresF, accC, accF
        case logAc, coarseProbabilities
    }

    /// Read-only view of a snapshot block.
    @inline(__always)
    func w(_ block: Int, _ rows: Int, _ cols: Int) -> MatrixView { snapshot.matrix(block, rows: rows, cols: cols) }

    // MARK: Forward

    public func forward(features: [Float], instanceCount n: Int, workspace ws: Workspace) -> BagOutput {
        precondition(n >= 1 && features.count == n * d, "bag must be N×D with N ≥ 1 (D = \(d))")
        let e = Self.e
        let hc = Self.hc
        let hf = Self.hf
        ws.features = features
        ws.instanceCount = n
        ws.pendingBackward = ObjectIdentifier(self)

        // R = ReLU(X·W1ᵀ + b1)                                     N×256
        let r = ws.matrix(Slot.r.rawValue, rows: n, cols: e)
        r.fillRows(with: snapshot.block(blocks.b1))
        features.withUnsafeBufferPointer { x in
            gemm(
                MatrixView(UnsafeMutablePointer(mutating: x.baseAddress!), rows: n, cols: d),
                w(blocks.w1, e, d), transposeB: true, into: r, beta: 1)
        }
        reluForward(r)

        // Y = R·Fᵀ + f = [P_f | a_c | b_c]: both gates' pre-activations, one GEMM.    N×640
        let fineRows = 2 * hf
        let y = ws.matrix(Slot.y.rawValue, rows: n, cols: Self.fusedRows)
        y.fillRows(with: fusedSnapshot.block(1))
        gemm(r, fusedSnapshot.matrix(0, rows: Self.fusedRows, cols: e), transposeB: true, into: y, beta: 1)

        let coarseMasks = options.dropout ? ws.matrix(Slot.coarseMasks.rawValue, rows: n, cols: 2 * hc) : nil
        let fineMasks = options.dropout ? ws.matrix(Slot.fineMasks.rawValue, rows: n, cols: 2 * hf) : nil
        if options.dropout {
            precondition(ws.dropoutGenerator != nil, "model has dropout: set workspace.dropoutGenerator")
            drawDropoutMasks(coarseMasks!, rate: HMILOptions.dropoutRate, generator: &ws.dropoutGenerator!)
            drawDropoutMasks(fineMasks!, rate: HMILOptions.dropoutRate, generator: &ws.dropoutGenerator!)
        }

        // Coarse attention: Gc = tanh(a_c) ⊙ sigmoid(b_c); Ac = softmax_N(Wc·Gcᵀ + bc)      Kc×N
        let gc = ws.matrix(Slot.gc.rawValue, rows: n, cols: hc)
        gateForward(
            a: y.columns(fineRows..<fineRows + hc), b: y.columns(fineRows + hc..<Self.fusedRows), into: gc,
            masks: coarseMasks)
        let ac = ws.matrix(Slot.ac.rawValue, rows: kc, cols: n)
        scores(gate: gc, weight: w(blocks.coarseScore, kc, hc), bias: snapshot.block(blocks.coarseScoreBias), into: ac)
        // Coarse gate: L_c = log softmax_N(S_c), in the stable form (never the log of A_c).    Kc×N
        let logAc = options.coarseGate == .none ? nil : ws.matrix(Slot.logAc.rawValue, rows: kc, cols: n)
        if let logAc { logSoftmaxRowsForward(ac, into: logAc) }
        softmaxRowsForward(ac)

        // Fine attention: Gf = tanh(a_f) ⊙ sigmoid(b_f) from P_f; Af = softmax_N(Wfc·Gfᵀ + bfc [+ γ·L_c[π]])    Kf×N
        let gf = ws.matrix(Slot.gf.rawValue, rows: n, cols: hf)
        gateForward(a: y.columns(0..<hf), b: y.columns(hf..<fineRows), into: gf, masks: fineMasks)
        let af = ws.matrix(Slot.af.rawValue, rows: kf, cols: n)
        scores(gate: gf, weight: w(blocks.fineScore, kf, hf), bias: snapshot.block(blocks.fineScoreBias), into: af)
        if let logAc { addCoarseGate(logAc, into: af) }
        softmaxRowsForward(af)

        // Pooling: Ac·R (Kc×256) and Af·R (Kf×256), then B_f = (Af·R)·M_fᵀ + c_f.
        let pooledR = ws.matrix(Slot.pooledR.rawValue, rows: kc, cols: e)
        gemm(ac, r, into: pooledR)
        let finePooledR = ws.matrix(Slot.finePooledR.rawValue, rows: kf, cols: e)
        gemm(af, r, into: finePooledR)
        return finish(pooledR: pooledR, finePooledR: finePooledR, ac: ac, af: af, n: n, ws: ws)
    }

    /// S = W·Gᵀ + b (K×N) from a gate G (N×H).
    private func scores(gate g: MatrixView, weight: MatrixView, bias: UnsafeMutablePointer<Float>, into s: MatrixView) {
        for k in 0..<s.rows { s.row(k).update(repeating: bias[k], count: s.cols) }
        gemm(weight, g, transposeB: true, into: s, beta: 1)
    }

    /// S_f[f] += γ_f·C[π(f)] for the score columns of one bag or tile; C is L_c (training) or S_c (inference).
    private func addCoarseGate(_ coarse: MatrixView, into fine: MatrixView) {
        let gamma = snapshot.block(blocks.coarseGate)
        for f in 0..<kf { axpy(gamma[f], coarse.row(parents[f]), into: fine.row(f), count: fine.cols) }
    }

    /// The fine prior: logit_f[j] += λ·log softmax(logit_c)[π(j)] (log-sum-exp in Double, max-shifted);
    /// softmax(logit_c) goes to `probabilities` [Kc] for the backward.
    private func addFinePrior(to fine: inout [Float], coarse: [Float], probabilities: UnsafeMutablePointer<Float>) {
        let top = Double(coarse.max()!)
        let lse = top + log(coarse.reduce(0.0) { $0 + exp(Double($1) - top) })
        for k in 0..<kc { probabilities[k] = Float(exp(Double(coarse[k]) - lse)) }
        let weight = options.finePriorWeight
        for j in 0..<kf { fine[j] += Float(weight * (Double(coarse[parents[j]]) - lse)) }
    }

    /// From the pooled R to the outputs: B_c = (Ac·R)·W2ᵀ + b2, B_f = (Af·R)·M_fᵀ + c_f, the logits, z.
    private func finish(
        pooledR: MatrixView, finePooledR: MatrixView, ac: MatrixView, af: MatrixView, n: Int,
        ws: Workspace
    ) -> BagOutput {
        let e = Self.e
        // Each row of Af sums to 1, so Af·(R·M_fᵀ + 1·c_fᵀ) = (Af·R)·M_fᵀ + 1·c_fᵀ.          Kf×256
        let bf = ws.matrix(Slot.bf.rawValue, rows: kf, cols: e)
        bf.fillRows(with: snapshot.block(blocks.composedBias))
        gemm(finePooledR, w(blocks.composed, e, e), transposeB: true, into: bf, beta: 1)
        let bcm = ws.matrix(Slot.bc.rawValue, rows: kc, cols: dc)
        if options.embedding == .released {
            // Each row of Ac sums to 1, so Ac·(R·W2ᵀ + 1·b2ᵀ) = (Ac·R)·W2ᵀ + 1·b2ᵀ.
            bcm.fillRows(with: snapshot.block(blocks.b2))
            gemm(pooledR, w(blocks.w2, d, e), transposeB: true, into: bcm, beta: 1)
        } else {
            for k in 0..<kc { bcm.row(k).update(from: pooledR.row(k), count: e) }
        }
        let coarseLogits = logits(
            bcm, scorer: snapshot.block(blocks.coarseScorer),
            bias: snapshot.block(blocks.coarseScorerBias), shared: options.scorer == .shared)
        var fineLogits = logits(
            bf, scorer: snapshot.block(blocks.fineScorer),
            bias: snapshot.block(blocks.fineScorerBias), shared: options.scorer == .shared)
        if options.finePrior != .none {
            addFinePrior(to: &fineLogits, coarse: coarseLogits, probabilities: ws.floats(Slot.coarseProbabilities.rawValue, count: kc))
        }
        let z = ws.matrix(Slot.z.rawValue, rows: kf, cols: e)
        normalizeRowsForward(bf, into: z, norms: ws.floats(Slot.norms.rawValue, count: kf))
        return BagOutput(
            instanceCount: n, coarseLogits: coarseLogits, fineLogits: fineLogits,
            coarseAttention: Array(UnsafeBufferPointer(start: ac.base, count: kc * n)),
            fineAttention: Array(UnsafeBufferPointer(start: af.base, count: kf * n)),
            embedding: Array(UnsafeBufferPointer(start: z.base, count: kf * e)), embeddingWidth: e)
    }

    /// logit[k] = w·B[k] + b with one shared scorer, or w_k·B[k] + b_k with one per class.
    private func logits(
        _ b: MatrixView, scorer: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>,
        shared: Bool
    ) -> [Float] {
        (0..<b.rows).map { k in
            let s = shared ? 0 : k
            return dot(scorer + s * b.cols, b.row(k), count: b.cols) + bias[s]
        }
    }

    // MARK: Inference

    /// Instances per tile of the inference forward.
    public static let inferenceTile = 512

    public func infer(features: [Float], instanceCount n: Int, workspace ws: Workspace) -> BagOutput {
        precondition(n >= 1 && features.count == n * d, "bag must be N×D with N ≥ 1 (D = \(d))")
        let e = Self.e
        let hc = Self.hc
        let hf = Self.hf
        let tile = min(n, Self.inferenceTile)
        let rows = Self.fusedRows
        let fineRows = 2 * hf
        ws.pendingBackward = nil
        let ac = ws.matrix(Slot.ac.rawValue, rows: kc, cols: n)
        let af = ws.matrix(Slot.af.rawValue, rows: kf, cols: n)
        // Both branches pool R: Σ_n exp(s − max)·R[n] per class row; h_f = R·M_fᵀ + c_f comes after.
        let pooledR = ws.matrix(Slot.pooledR.rawValue, rows: kc, cols: e)
        let finePooledR = ws.matrix(Slot.finePooledR.rawValue, rows: kf, cols: e)
        pooledR.fill(0)
        finePooledR.fill(0)
        let coarsePool = OnlineSoftmax(classes: kc)
        let finePool = OnlineSoftmax(classes: kf)
        let map = fusedSnapshot.matrix(0, rows: rows, cols: e)
        features.withUnsafeBufferPointer { xAll in
            let x = MatrixView(UnsafeMutablePointer(mutating: xAll.baseAddress!), rows: n, cols: d)
            var start = 0
            while start < n {
                let t = min(tile, n - start)
                let span = start..<start + t
                // R = ReLU(X·W1ᵀ + b1), then Y = R·[Wf·M_f; M_a; M_b]ᵀ + bias = [P_f | a_c | b_c]   t×640
                let r = ws.matrix(Slot.r.rawValue, rows: t, cols: e)
                r.fillRows(with: snapshot.block(blocks.b1))
                gemm(x.rows(span), w(blocks.w1, e, d), transposeB: true, into: r, beta: 1)
                reluForward(r)
                let y = ws.matrix(Slot.y.rawValue, rows: t, cols: rows)
                y.fillRows(with: fusedSnapshot.block(1))
                gemm(r, map, transposeB: true, into: y, beta: 1)
                let gc = ws.matrix(Slot.gc.rawValue, rows: t, cols: hc)
                gateForward(a: y.columns(fineRows..<fineRows + hc), b: y.columns(fineRows + hc..<rows), into: gc)
                let sc = ac.columns(span)
                scores(gate: gc, weight: w(blocks.coarseScore, kc, hc), bias: snapshot.block(blocks.coarseScoreBias), into: sc)
                let gf = ws.matrix(Slot.gf.rawValue, rows: t, cols: hf)
                gateForward(a: y.columns(0..<hf), b: y.columns(hf..<fineRows), into: gf)
                let sf = af.columns(span)
                scores(gate: gf, weight: w(blocks.fineScore, kf, hf), bias: snapshot.block(blocks.fineScoreBias), into: sf)
                // Coarse gate with S_c in place of L_c = S_c − log Σ_N exp S_c: they differ by one constant
                // per row, which the fine softmax over instances removes exactly, and S_c is known tile by
                // tile while the log-sum-exp needs the whole bag. So A_f is the gated attention of training.
                if options.coarseGate != .none { addCoarseGate(sc, into: sf) }
                let exps = ws.matrix(Slot.tileExp.rawValue, rows: kc + kf, cols: t)
                coarsePool.add(scores: sc, values: r, exp: exps.rows(0..<kc), into: pooledR)
                finePool.add(scores: sf, values: r, exp: exps.rows(kc..<kc + kf), into: finePooledR)
                start += t
            }
        }
        coarsePool.finish(scores: ac, pooled: pooledR)
        finePool.finish(scores: af, pooled: finePooledR)
        return finish(pooledR: pooledR, finePooledR: finePooledR, ac: ac, af: af, n: n, ws: ws)
    }

    // MARK: Backward

    public func backward(_ g: BagOutputGradient, workspace ws: Workspace, into grads: GradientBuffer) {
        precondition(ws.pendingBackward == ObjectIdentifier(self), "backward needs a training forward of this model on this workspace")
        precondition(grads.layout == layout, "gradient buffer of another model")
        let n = ws.instanceCount
        let e = Self.e
        let hc = Self.hc
        let hf = Self.hf
        precondition(
            g.coarseLogits.count == kc && g.fineLogits.count == kf && g.coarseAttention.count == kc * n
                && g.fineAttention.count == kf * n && g.embedding.count == kf * e, "BagOutputGradient shapes")
        let r = ws.matrix(Slot.r.rawValue, rows: n, cols: e)
        let fineRows = 2 * hf
        let y = ws.matrix(Slot.y.rawValue, rows: n, cols: Self.fusedRows)
        let gc = ws.matrix(Slot.gc.rawValue, rows: n, cols: hc)
        let gf = ws.matrix(Slot.gf.rawValue, rows: n, cols: hf)
        let ac = ws.matrix(Slot.ac.rawValue, rows: kc, cols: n)
        let af = ws.matrix(Slot.af.rawValue, rows: kf, cols: n)
        let pooledR = ws.matrix(Slot.pooledR.rawValue, rows: kc, cols: e)
        let finePooledR = ws.matrix(Slot.finePooledR.rawValue, rows: kf, cols: e)
        let bcm = ws.matrix(Slot.bc.rawValue, rows: kc, cols: dc)
        let bf = ws.matrix(Slot.bf.rawValue, rows: kf, cols: e)
        let z = ws.matrix(Slot.z.rawValue, rows: kf, cols: e)
        let ones = ws.ones(count: max(n, kc, kf))
        let coarseMasks = options.dropout ? ws.matrix(Slot.coarseMasks.rawValue, rows: n, cols: 2 * hc) : nil
        let fineMasks = options.dropout ? ws.matrix(Slot.fineMasks.rawValue, rows: n, cols: 2 * hf) : nil
        func grad(_ block: Int, _ rows: Int, _ cols: Int) -> MatrixView { grads.matrix(block, rows: rows, cols: cols) }

        // Logits and z → dB_c (Kc×Dc), dB_f (Kf×256).
        let dBc = ws.matrix(Slot.dBc.rawValue, rows: kc, cols: dc)
        let dBf = ws.matrix(Slot.dBf.rawValue, rows: kf, cols: e)
        // The fine prior: logit_f[j] += λ·log softmax(logit_c)[π(j)] → ∂L/∂logit_c (unless detached).
        var coarseUpstream = g.coarseLogits
        if options.finePrior == .coarse {
            finePriorBackward(
                g.fineLogits, into: &coarseUpstream,
                probabilities: ws.floats(Slot.coarseProbabilities.rawValue, count: kc))
        }
        coarseUpstream.withUnsafeBufferPointer { gl in
            scorerBackward(
                gl.baseAddress!, features: bcm, scorer: blocks.coarseScorer, bias: blocks.coarseScorerBias,
                grads: grads, into: dBc)
        }
        g.fineLogits.withUnsafeBufferPointer { gl in
            scorerBackward(
                gl.baseAddress!, features: bf, scorer: blocks.fineScorer, bias: blocks.fineScorerBias,
                grads: grads, into: dBf)
        }
        g.embedding.withUnsafeBufferPointer { gz in
            normalizeRowsBackward(
                output: z, norms: ws.floats(Slot.norms.rawValue, count: kf),
                gradient: MatrixView(UnsafeMutablePointer(mutating: gz.baseAddress!), rows: kf, cols: e),
                accumulateInto: dBf)
        }

        // B_c = (Ac·R)·W2ᵀ + b2 → dW2, db2 and d(Ac·R) = dB_c·W2        (Kc×256)
        let dPooledR = ws.matrix(Slot.dPooledR.rawValue, rows: kc, cols: e)
        if options.embedding == .released {
            gemm(dBc, transposeA: true, pooledR, into: grad(blocks.w2, d, e), beta: 1)
            gemv(dBc, transposeA: true, ones, into: grads.block(blocks.b2), beta: 1)
            gemm(dBc, w(blocks.w2, d, e), into: dPooledR)
        } else {
            for k in 0..<kc { dPooledR.row(k).update(from: dBc.row(k), count: e) }
        }

        // B_f = (Af·R)·M_fᵀ + c_f → dM_f, dc_f (rows 0..<256 of dM, dc) and d(Af·R) = dB_f·M_f    (Kf×256)
        gemm(dBf, transposeA: true, finePooledR, into: grad(blocks.composed, e, e), beta: 1)
        gemv(dBf, transposeA: true, ones, into: grads.block(blocks.composedBias), beta: 1)
        let dFinePooledR = ws.matrix(Slot.dFinePooledR.rawValue, rows: kf, cols: e)
        gemm(dBf, w(blocks.composed, e, e), into: dFinePooledR)

        // Pooling → dAc = gAc + d(Ac·R)·Rᵀ, dAf = gAf + d(Af·R)·Rᵀ; then through the softmax to the scores.
        let dAc = ws.matrix(Slot.dAc.rawValue, rows: kc, cols: n)
        let dAf = ws.matrix(Slot.dAf.rawValue, rows: kf, cols: n)
        g.coarseAttention.withUnsafeBufferPointer { dAc.base.update(from: $0.baseAddress!, count: kc * n) }
        g.fineAttention.withUnsafeBufferPointer { dAf.base.update(from: $0.baseAddress!, count: kf * n) }
        gemm(dPooledR, r, transposeB: true, into: dAc, beta: 1)
        gemm(dFinePooledR, r, transposeB: true, into: dAf, beta: 1)
        softmaxRowsBackward(output: ac, gradient: dAc)
        softmaxRowsBackward(output: af, gradient: dAf)
        if options.coarseGate != .none {
            coarseGateBackward(dSf: dAf, dSc: dAc, ac: ac, logAc: ws.matrix(Slot.logAc.rawValue, rows: kc, cols: n), grads: grads)
        }

        // Coarse scores S = Wc·Gcᵀ + bc → dWc, dbc, dGc (over Gc), then the gate → d[a_c | b_c] over Y.
        gemm(dAc, gc, into: grad(blocks.coarseScore, kc, hc), beta: 1)
        gemv(dAc, ones, into: grads.block(blocks.coarseScoreBias), beta: 1)
        gemm(dAc, transposeA: true, w(blocks.coarseScore, kc, hc), into: gc)
        gateBackward(
            a: y.columns(fineRows..<fineRows + hc), b: y.columns(fineRows + hc..<Self.fusedRows), gradient: gc,
            masks: coarseMasks)

        // Fine scores Wfc·Gfᵀ + bfc → dWfc, dbfc, dGf (over Gf), then the gate → dP_f over Y: now Y holds
        // dY = [dP_f | da_c | db_c].
        gemm(dAf, gf, into: grad(blocks.fineScore, kf, hf), beta: 1)
        gemv(dAf, ones, into: grads.block(blocks.fineScoreBias), beta: 1)
        gemm(dAf, transposeA: true, w(blocks.fineScore, kf, hf), into: gf)
        gateBackward(a: y.columns(0..<hf), b: y.columns(hf..<fineRows), gradient: gf, masks: fineMasks)

        // Y = R·Fᵀ + f, F = [Wf·M_f; M_a; M_b] → dF, df: ∂L/∂(Wf·M_f) and ∂L/∂(Wf·c_f + bf) go to the
        // fineGate blocks, ∂L/∂M_a, M_b to rows 256..<768 of dM (addGradients maps them onto Wf, M_f);
        // dR = dY·F + Acᵀ·d(Ac·R) + Afᵀ·d(Af·R).
        let dP = y.columns(0..<fineRows)
        let dA = y.columns(fineRows..<Self.fusedRows)
        gemm(dP, transposeA: true, r, into: grad(blocks.fineGate, fineRows, e), beta: 1)
        gemv(dP, transposeA: true, ones, into: grads.block(blocks.fineGateBias), beta: 1)
        gemm(dA, transposeA: true, r, into: grad(blocks.composed, Self.composedRows, e).rows(e..<Self.composedRows), beta: 1)
        gemv(dA, transposeA: true, ones, into: grads.block(blocks.composedBias) + e, beta: 1)
        let dR = ws.matrix(Slot.dR.rawValue, rows: n, cols: e)
        gemm(y, fusedSnapshot.matrix(0, rows: Self.fusedRows, cols: e), into: dR)
        gemm(ac, transposeA: true, dPooledR, into: dR, beta: 1)
        gemm(af, transposeA: true, dFinePooledR, into: dR, beta: 1)

        // R = ReLU(X·W1ᵀ + b1) → dW1, db1 (no gradient for the features).
        reluBackward(output: r, gradient: dR)
        ws.features.withUnsafeBufferPointer { x in
            gemm(
                dR, transposeA: true, MatrixView(UnsafeMutablePointer(mutating: x.baseAddress!), rows: n, cols: d),
                into: grad(blocks.w1, e, d), beta: 1)
        }
        gemv(dR, transposeA: true, ones, into: grads.block(blocks.b1), beta: 1)
        ws.pendingBackward = nil
        ws.releaseFeatures()
    }

    /// S_f[f] += γ_f·L_c[π(f)], L_c = log softmax_N(S_c) → dγ_f = ⟨dS_f[f], L_c[π(f)]⟩ (learned gate) and,
    /// unless detached, dS_c += G − A_c ⊙ (G·1) with G[k] = Σ_{π(f)=k} γ_f·dS_f[f] (log-softmax backward).
    /// G is written over L_c, which nothing needs after dγ.
    private func coarseGateBackward(dSf: MatrixView, dSc: MatrixView, ac: MatrixView, logAc: MatrixView, grads: GradientBuffer) {
        let n = dSf.cols
        if options.coarseGate == .learned {
            let dGamma = grads.block(blocks.coarseGate)
            for f in 0..<kf { dGamma[f] += dot(dSf.row(f), logAc.row(parents[f]), count: n) }
        }
        guard options.coarseGate != .detached else { return }
        let gamma = snapshot.block(blocks.coarseGate)
        logAc.fill(0)
        for f in 0..<kf { axpy(gamma[f], dSf.row(f), into: logAc.row(parents[f]), count: n) }
        logSoftmaxRowsBackward(probabilities: ac, gradient: logAc)
        axpy(1, logAc.base, into: dSc.base, count: kc * n)
    }

    /// u[k] = λ·Σ_{π(j)=k} ∂L/∂logit_f[j] → ∂L/∂logit_c += u − softmax(logit_c)·Σ_k u[k].
    private func finePriorBackward(_ fine: [Float], into coarse: inout [Float], probabilities: UnsafeMutablePointer<Float>) {
        var u = [Float](repeating: 0, count: kc)
        let weight = Float(options.finePriorWeight)
        for j in 0..<kf { u[parents[j]] += weight * fine[j] }
        let total = u.reduce(0, +)
        for k in 0..<kc { coarse[k] += u[k] - probabilities[k] * total }
    }

    /// logit[k] = w_s·B[k] + b_s (s = 0 shared, k per class) → dw, db, and dB (overwritten).
    private func scorerBackward(
        _ gl: UnsafePointer<Float>, features b: MatrixView, scorer: Int, bias: Int,
        grads: GradientBuffer, into dB: MatrixView
    ) {
        let shared = options.scorer == .shared
        for k in 0..<b.rows {
            let s = shared ? 0 : k
            let weight = snapshot.block(scorer) + s * b.cols
            for j in 0..<b.cols { dB.row(k)[j] = gl[k] * weight[j] }
            axpy(gl[k], b.row(k), into: grads.block(scorer) + s * b.cols, count: b.cols)
            grads.block(bias)[s] += gl[k]
        }
    }
}
