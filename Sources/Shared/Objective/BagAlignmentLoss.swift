import Foundation

/// The fine→coarse probability map of the hierarchy: q[k] = Σ_{π(j)=k} softmax(fine logits)[j].
/// Used by the bag-level alignment term and, at evaluation, as the coarse prediction of a flat model.
public enum FineToCoarse {
    /// q [Kc] from fine logits [Kf]; `parents[j]` = π(j) < `coarseCount`.
    public static func probabilities(fineLogits: [Float], parents: [Int], coarseCount: Int) -> [Double] {
        precondition(parents.count == fineLogits.count, "\(fineLogits.count) fine logits, \(parents.count) parents")
        let p = Softmax.probabilities(fineLogits)
        var q = [Double](repeating: 0, count: coarseCount)
        for (j, k) in parents.enumerated() { q[k] += p[j] }
        return q
    }
}

/// Bag-level alignment L_bag for one bag (DESIGN §4): ties the fine head's prediction to the coarse
/// label through q = fine probabilities summed per coarse class. The batch term is the mean over bags.
public enum BagAlignmentLoss {
    /// Value and ∂/∂(fine logits) [Kf] for the true coarse class `coarseLabel`.
    ///
    /// - `nll`: −log q[y] = logsumexp(all fine logits) − logsumexp(fine logits of y's children),
    ///   finite even when q[y] underflows. ∂/∂l_j = p_j − [π(j) = y]·p_j/q[y].
    /// - `reference`: −log softmax(q)[y], q used as logits (`compute_hierarchical_loss` in the
    ///   release). With g = softmax(q) − onehot(y): ∂/∂l_j = p_j·(g[π(j)] − Σ_k g[k]·q[k]).
    public static func evaluate(
        fineLogits: [Float], coarseLabel: Int, parents: [Int], coarseCount: Int,
        form: ObjectiveConfig.BagAlignmentForm
    ) -> LogitLoss {
        precondition(parents.count == fineLogits.count, "\(fineLogits.count) fine logits, \(parents.count) parents")
        precondition((0..<coarseCount).contains(coarseLabel), "coarse label \(coarseLabel) outside \(coarseCount) classes")
        let logits = fineLogits.map(Double.init)
        let lse = Softmax.logSumExp(logits)
        let p = logits.map { exp($0 - lse) }
        switch form {
        case .nll:
            let children = parents.indices.filter { parents[$0] == coarseLabel }
            let childLSE = Softmax.logSumExp(children.map { logits[$0] })
            var gradient = p
            for j in children { gradient[j] -= exp(logits[j] - childLSE) }
            return LogitLoss(value: lse - childLSE, gradient: gradient)
        case .reference:
            var q = [Double](repeating: 0, count: coarseCount)
            for (j, k) in parents.enumerated() { q[k] += p[j] }
            let ce = CrossEntropyLoss.evaluate(logits: q, label: coarseLabel)
            let g = ce.gradient
            var gq = 0.0
            for k in 0..<coarseCount { gq += g[k] * q[k] }
            let gradient = parents.indices.map { j in p[j] * (g[parents[j]] - gq) }
            return LogitLoss(value: ce.value, gradient: gradient)
        }
    }
}
