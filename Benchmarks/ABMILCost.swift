import Shared

/// The benchmark's cost model of ABMILModel (`hmil-bench train`'s tiny shape), as HMILCost.swift is
/// HMILModel's: the matrix products one bag costs, in the order ABMILModel.swift runs them, with the
/// matrix–vector products written as products with one row or column.
extension ABMILModel {
    func bagProducts(instanceCount n: Int, training: Bool) -> [ProductShape] {
        let e = ABMILOptions.embeddingWidth
        let h = ABMILOptions.attentionWidth
        let d = options.featureDim
        let k = options.classes
        func forward(rows t: Int, repeats: Int) -> [ProductShape] {
            [
                ProductShape(t, e, d, transposeB: true, repeats: repeats),  // R = X·W1ᵀ
                ProductShape(t, 2 * h, e, transposeB: true, repeats: repeats),  // P = R·[Wa; Wb]ᵀ
                ProductShape(1, t, h, transposeB: true, repeats: repeats),  // S = wc·Gᵀ
                ProductShape(1, e, t, repeats: repeats)
            ]  // pooled = A·R
        }
        var list: [ProductShape]
        if training {
            list = forward(rows: n, repeats: 1)
        } else {
            let tile = HMILModel.inferenceTile
            list = []
            if n / tile > 0 { list += forward(rows: tile, repeats: n / tile) }
            if n % tile > 0 { list += forward(rows: n % tile, repeats: 1) }
        }
        list.append(ProductShape(k, 1, e))  // logits = W·pooled
        guard training else { return list }
        return list + [
            ProductShape(k, e, 1, transposeA: true),  // dW += gLᵀ·pooled
            ProductShape(e, 1, k, transposeA: true),  // dpooled = Wᵀ·gL
            ProductShape(n, 1, e),  // dA += R·dpooled
            ProductShape(h, 1, n, transposeA: true),  // dwc = Gᵀ·dS
            ProductShape(n, h, 1, transposeA: true),  // dG = dSᵀ·wc
            ProductShape(2 * h, e, n, transposeA: true),  // dWg = dPᵀ·R
            ProductShape(n, e, 2 * h),  // dR = dP·Wg
            ProductShape(n, e, 1, transposeA: true),  //      + Aᵀ·dpooled
            ProductShape(e, d, n, transposeA: true)
        ]  // dW1 = dRᵀ·X
    }

    /// ABMIL composes nothing per optimizer step (`prepare` copies the weights).
    var stepProducts: [ProductShape] { [] }
}
