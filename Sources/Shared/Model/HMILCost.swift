/// One matrix product of a pass: C (m×n) = op(A)·op(B) with inner dimension k, `repeats` times.
public struct ProductShape: Equatable, Sendable {
    public var m, n, k: Int
    public var transposeA, transposeB: Bool
    public var repeats: Int

    public init(_ m: Int, _ n: Int, _ k: Int, transposeA: Bool = false, transposeB: Bool = false, repeats: Int = 1) {
        self.m = m; self.n = n; self.k = k
        self.transposeA = transposeA; self.transposeB = transposeB
        self.repeats = repeats
    }

    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) * Double(repeats) }
}

extension HMILModel {
    /// The matrix products one bag costs, in the order HMILPasses runs them (the benchmark counts
    /// FLOPs from this list and times OpenBLAS sgemm on the same shapes). Products independent of N
    /// (the composition in `prepare`, the chain in `addGradients`) are in `stepProducts`.
    public func bagProducts(instanceCount n: Int, training: Bool) -> [ProductShape] {
        let e = Self.e, y = Self.composedRows, hc = Self.hc, hf = Self.hf
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
                     ProductShape(t, Self.inferenceRows, e, transposeB: true, repeats: repeats),     // [P_f | a_c | b_c]
                     ProductShape(kf, t, hf, transposeB: true, repeats: repeats),                    // Sf
                     ProductShape(kc, t, hc, transposeB: true, repeats: repeats),                    // Sc
                     ProductShape(kc, e, t, repeats: repeats),                                       // exp(Sc)·R
                     ProductShape(kf, e, t, repeats: repeats)]                                       // exp(Sf)·R
        }
        if training {
            forward(rows: n, repeats: 1)
        } else {
            let tile = Self.inferenceTile
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
    public var stepProducts: [ProductShape] {
        let e = Self.e
        let inferenceMap = ProductShape(2 * Self.hf, e, e)                      // Wf·M_f
        guard options.embedding == .released else { return [inferenceMap] }
        return [inferenceMap,
                ProductShape(e, e, d, repeats: 3),                              // M_i = W_i·W2
                ProductShape(e, d, e, transposeB: true, repeats: 3),            // dW_i = dM_i·W2ᵀ
                ProductShape(d, e, e, transposeA: true, repeats: 3)]            // dW2 += W_iᵀ·dM_i
    }
}
