import Shared

/// One matrix product of a pass: C (m×n) = op(A)·op(B) with inner dimension k, `repeats` times.
struct ProductShape: Equatable, Sendable {
    var m, n, k: Int
    var transposeA, transposeB: Bool
    var repeats: Int

    init(_ m: Int, _ n: Int, _ k: Int, transposeA: Bool = false, transposeB: Bool = false, repeats: Int = 1) {
        self.m = m; self.n = n; self.k = k
        self.transposeA = transposeA; self.transposeB = transposeB
        self.repeats = repeats
    }

    var flops: Double { 2 * Double(m) * Double(n) * Double(k) * Double(repeats) }
}

/// HMILModel's widths, from HMILOptions: the composed map M has E + 2·Hc rows ([h_f | a_c | b_c]),
/// the inference map 2·Hf + 2·Hc ([Wf·M_f | M_a | M_b]), as HMILModel.swift lays them out.
private enum Width {
    static let e = HMILOptions.embeddingWidth              // 256
    static let hc = HMILOptions.coarseAttentionWidth       // 256
    static let hf = HMILOptions.fineAttentionWidth         // 64
    static let composedRows = e + 2 * hc                   // 768
    static let inferenceRows = 2 * hf + 2 * hc             // 640
}

/// The benchmark's cost model of HMILModel (`hmil-bench model`).
extension HMILModel {
    /// The matrix products one bag costs, in the order HMILPasses runs them (the benchmark counts
    /// FLOPs from this list and times OpenBLAS sgemm on the same shapes). Products independent of N
    /// (the composition in `prepare`, the chain in `addGradients`) are in `stepProducts`.
    func bagProducts(instanceCount n: Int, training: Bool) -> [ProductShape] {
        let e = Width.e, y = Width.composedRows, hc = Width.hc, hf = Width.hf
        let d = options.featureDim, kc = options.coarseClasses, kf = options.fineClasses
        var list: [ProductShape] = []
        func forward(rows t: Int, repeats: Int) {
            list += [ProductShape(t, e, d, transposeB: true, repeats: repeats),        // R = X·W1ᵀ
                     ProductShape(t, y, e, transposeB: true, repeats: repeats),        // Y = R·Mᵀ
                     ProductShape(kc, t, hc, transposeB: true, repeats: repeats),      // Sc = Wc·Gcᵀ
                     ProductShape(t, 2 * hf, e, transposeB: true, repeats: repeats),   // Pf = h_f·Wfᵀ
                     ProductShape(kf, t, hf, transposeB: true, repeats: repeats),      // Sf = Wfc·Gfᵀ
                     ProductShape(kc, e, t, repeats: repeats),                         // Ac·R
                     ProductShape(kf, e, t, repeats: repeats)]                         // Af·h_f
        }
        func inference(rows t: Int, repeats: Int) {
            list += [ProductShape(t, e, d, transposeB: true, repeats: repeats),                      // R = X·W1ᵀ
                     ProductShape(t, Width.inferenceRows, e, transposeB: true, repeats: repeats),     // [P_f | a_c | b_c]
                     ProductShape(kf, t, hf, transposeB: true, repeats: repeats),                    // Sf
                     ProductShape(kc, t, hc, transposeB: true, repeats: repeats),                    // Sc
                     ProductShape(kc, e, t, repeats: repeats),                                       // exp(Sc)·R
                     ProductShape(kf, e, t, repeats: repeats)]                                       // exp(Sf)·R
        }
        if training {
            forward(rows: n, repeats: 1)
        } else {
            let tile = HMILModel.inferenceTile
            if n / tile > 0 { inference(rows: tile, repeats: n / tile) }
            if n % tile > 0 { inference(rows: n % tile, repeats: 1) }
            list.append(ProductShape(kf, e, e, transposeB: true))                                    // B_f = (A_f·R)·M_fᵀ
        }
        if options.embedding == .released { list.append(ProductShape(kc, d, e, transposeB: true)) }   // B_c = (Ac·R)·W2ᵀ
        guard training else { return list }
        if options.embedding == .released {
            list += [ProductShape(d, e, kc, transposeA: true),      // dW2 += dB_cᵀ·(Ac·R)
                     ProductShape(kc, e, d)]                        // d(Ac·R) = dB_c·W2
        }
        list += [ProductShape(kc, n, e, transposeB: true),          // dAc += d(Ac·R)·Rᵀ
                 ProductShape(kf, n, e, transposeB: true),          // dAf += dB_f·h_fᵀ
                 ProductShape(kc, hc, n),                           // dWc
                 ProductShape(n, hc, kc, transposeA: true),         // dGc
                 ProductShape(kf, hf, n),                           // dWfc
                 ProductShape(n, hf, kf, transposeA: true),         // dGf
                 ProductShape(2 * hf, e, n, transposeA: true),      // dWf
                 ProductShape(n, e, kf, transposeA: true),          // dh_f = Afᵀ·dB_f
                 ProductShape(n, e, 2 * hf),                        //      + dPf·Wf
                 ProductShape(y, e, n, transposeA: true),           // dM = dYᵀ·R
                 ProductShape(n, e, y),                             // dR = dY·M
                 ProductShape(n, e, kc, transposeA: true),          //      + Acᵀ·d(Ac·R)
                 ProductShape(e, d, n, transposeA: true)]           // dW1 = dRᵀ·X
        return list
    }

    /// Products of one optimizer step that do not depend on the bags: composing M (and the
    /// inference map) in `prepare` and mapping ∂L/∂M onto W2, W3, Wa, Wb in `addGradients`.
    var stepProducts: [ProductShape] {
        let e = Width.e, d = options.featureDim
        let inferenceMap = ProductShape(2 * Width.hf, e, e)                      // Wf·M_f
        guard options.embedding == .released else { return [inferenceMap] }
        return [inferenceMap,
                ProductShape(e, e, d, repeats: 3),                              // M_i = W_i·W2
                ProductShape(e, d, e, transposeB: true, repeats: 3),            // dW_i = dM_i·W2ᵀ
                ProductShape(d, e, e, transposeA: true, repeats: 3)]            // dW2 += W_iᵀ·dM_i
    }
}
