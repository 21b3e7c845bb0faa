import Foundation

/// A hierarchy-consistent fine decision from a model with both heads (`hmil-eval --hierarchy-beta β`,
/// the `fine_hierarchical` level):
///
///     p(f) ∝ p_fine(f) · p_coarse(π(f))^β
///
/// normalised over the fine classes. β = 0 is the fine head alone; as β grows, fine classes under an
/// unlikely coarse class are suppressed, so the fine decision follows the coarse head's. Computed in
/// logs (log p_fine + β·log p_coarse, then a stable softmax) so that tiny probabilities do not underflow
/// to a row of zeros; a probability of exactly 0 stays 0 (and with β = 0 the coarse head is ignored,
/// even where it says 0).
public enum HierarchicalDecision {
    /// One bag's fine probabilities under the rule.  fine [Kf], coarse [Kc], parent [Kf] → [Kf]
    public static func probabilities(fine: ArraySlice<Double>, coarse: ArraySlice<Double>, parent: [Int], beta: Double) -> [Double] {
        precondition(fine.count == parent.count, "one parent per fine class")
        precondition(beta >= 0 && beta.isFinite, "β is finite and ≥ 0")
        let logs = zip(fine, parent).map { p, k in
            log(p) + (beta == 0 ? 0 : beta * log(coarse[coarse.startIndex + k]))
        }
        let top = logs.max() ?? 0
        guard top > -.infinity else { return Array(fine) }  // every product is 0: nothing to reweigh
        let exps = logs.map { exp($0 - top) }
        let sum = exps.reduce(0, +)
        return exps.map { $0 / sum }
    }

    /// Every bag's fine probabilities under the rule.  fine [n, Kf], coarse [n, Kc] → [n, Kf]
    public static func probabilities(fine: [Double], coarse: [Double], parent: [Int], coarseCount kc: Int, beta: Double) -> [Double] {
        let kf = parent.count
        precondition(fine.count % kf == 0 && coarse.count == fine.count / kf * kc, "fine is [n, Kf], coarse [n, Kc]")
        var out: [Double] = []
        out.reserveCapacity(fine.count)
        for bag in 0..<fine.count / kf {
            out += probabilities(
                fine: fine[(bag * kf)..<(bag * kf + kf)], coarse: coarse[(bag * kc)..<(bag * kc + kc)],
                parent: parent, beta: beta)
        }
        return out
    }
}
