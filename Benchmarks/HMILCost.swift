import Shared

/// One matrix product of a pass: C (m×n) = op(A)·op(B) with inner dimension k, `repeats` times.
struct ProductShape: Equatable, Sendable {
    var m, n, k: Int
    var transposeA, transposeB: Bool
    var repeats: Int

    init(_ m: Int, _ n: Int, _ k: Int, transposeA: Bool = false, transposeB: Bool = false, repeats: Int = 1) {
        self.m = m
        self.n = n
        self.k = k
        self.transposeA = transposeA
        self.transposeB = transposeB
        self.repeats = repeats
    }

    var flops: Double { 2 * Double(m) * Double(n) * Double(k) * Double(repeats) }
}

/// HMILModel's widths, from HMILOptions: the map the forward reads (training and inference) has
/// 2·Hf + 2·Hc rows ([Wf·M_f | M_a | M_b]), as HMILModel.swift lays it out.
private enum Width {
    static let e = HMILOptions.embeddingWidth  // 256
    static let hc = HMILOptions.coarseAttentionWidth  // 256
    static let hf = HMILOptions.fineAttentionWidth  // 64
    static let fusedRows = 2 * hf + 2 * hc  // 640
}

/// The benchmark's cost model of HMILModel (`hmil-bench model`).
extension HMILModel {
    /// The matrix products one bag costs, in the order HMILPasses runs them (the benchmark counts
    /// FLOPs from this list and times OpenBLAS sgemm on the same shapes). Products independent of N
    /// (the composition in `prepare`, the chain in `addGradients`) are in `stepProducts`.
    func bagProducts(instanceCount n: Int, training: Bool) -> [ProductShape] {
        let e = Width.e
        let y = Width.fusedRows
        let hc = Width.hc
        let hf = Width.hf
        let d = options.featureDim
        let kc = options.coarseClasses
        let kf = options.fineClasses
        var list: [ProductShape] = []
        func forward(rows t: Int, repeats: Int) {
            list += [
                ProductShape(t, e, d, transposeB: true, repeats: repeats),  // R = X·W1ᵀ
                ProductShape(t, y, e, transposeB: true, repeats: repeats),  // Y = R·Fᵀ = [P_f | a_c | b_c]
                ProductShape(kc, t, hc, transposeB: true, repeats: repeats),  // Sc = Wc·Gcᵀ
                ProductShape(kf, t, hf, transposeB: true, repeats: repeats),  // Sf = Wfc·Gfᵀ
                ProductShape(kc, e, t, repeats: repeats),  // Ac·R
                ProductShape(kf, e, t, repeats: repeats)
            ]  // Af·R
        }
        func inference(rows t: Int, repeats: Int) {
            list += [
                ProductShape(t, e, d, transposeB: true, repeats: repeats),  // R = X·W1ᵀ
                ProductShape(t, y, e, transposeB: true, repeats: repeats),  // [P_f | a_c | b_c]
                ProductShape(kf, t, hf, transposeB: true, repeats: repeats),  // Sf
                ProductShape(kc, t, hc, transposeB: true, repeats: repeats),  // Sc
                ProductShape(kc, e, t, repeats: repeats),  // exp(Sc)·R
                ProductShape(kf, e, t, repeats: repeats)
            ]  // exp(Sf)·R
        }
        if training {
            forward(rows: n, repeats: 1)
        } else {
            let tile = HMILModel.inferenceTile
            if n / tile > 0 { inference(rows: tile, repeats: n / tile) }
            if n % tile > 0 { inference(rows: n % tile, repeats: 1) }
        }
        list.append(ProductShape(kf, e, e, transposeB: true))  // B_f = (A_f·R)·M_fᵀ
        if options.embedding == .released { list.append(ProductShape(kc, d, e, transposeB: true)) }  // B_c = (Ac·R)·W2ᵀ
        guard training else { return list }
        if options.embedding == .released {
            list += [
                ProductShape(d, e, kc, transposeA: true),  // dW2 += dB_cᵀ·(Ac·R)
                ProductShape(kc, e, d)
            ]  // d(Ac·R) = dB_c·W2
        }
        list += [
            ProductShape(e, e, kf, transposeA: true),  // dM_f += dB_fᵀ·(Af·R)
            ProductShape(kf, e, e),  // d(Af·R) = dB_f·M_f
            ProductShape(kc, n, e, transposeB: true),  // dAc += d(Ac·R)·Rᵀ
            ProductShape(kf, n, e, transposeB: true),  // dAf += d(Af·R)·Rᵀ
            ProductShape(kc, hc, n),  // dWc
            ProductShape(n, hc, kc, transposeA: true),  // dGc
            ProductShape(kf, hf, n),  // dWfc
            ProductShape(n, hf, kf, transposeA: true),  // dGf
            ProductShape(y, e, n, transposeA: true),  // dF = dYᵀ·R
            ProductShape(n, e, y),  // dR = dY·F
            ProductShape(n, e, kc, transposeA: true),  //      + Acᵀ·d(Ac·R)
            ProductShape(n, e, kf, transposeA: true),  //      + Afᵀ·d(Af·R)
            ProductShape(e, d, n, transposeA: true)
        ]  // dW1 = dRᵀ·X
        return list
    }

    /// Products of one optimizer step that do not depend on the bags: composing M and F in `prepare`,
    /// mapping ∂L/∂F onto Wf, M_f and ∂L/∂M onto W2, W3, Wa, Wb in `addGradients`.
    var stepProducts: [ProductShape] {
        let e = Width.e
        let d = options.featureDim
        let fine = 2 * Width.hf
        let fineGate = [
            ProductShape(fine, e, e),  // Wf·M_f
            ProductShape(fine, e, e, transposeB: true),  // dWf = dF_f·M_fᵀ
            ProductShape(e, e, fine, transposeA: true)
        ]  // dM_f += Wfᵀ·dF_f
        guard options.embedding == .released else { return fineGate }
        return fineGate + [
            ProductShape(e, e, d, repeats: 3),  // M_i = W_i·W2
            ProductShape(e, d, e, transposeB: true, repeats: 3),  // dW_i = dM_i·W2ᵀ
            ProductShape(d, e, e, transposeA: true, repeats: 3)
        ]  // dW2 += W_iᵀ·dM_i
    }
}
