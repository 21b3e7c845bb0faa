import Foundation

/// Sibling label smoothing of the fine cross-entropy L_f (DESIGN §4): the target keeps 1 − ε on the
/// true fine class y and spreads ε uniformly over y's siblings S(y), the other fine classes with the
/// same coarse parent,
///
///     t[y] = 1 − ε,   t[s] = ε / |S(y)| for s ∈ S(y),   t[j] = 0 elsewhere,
///
/// so a wrong guess inside the right coarse class costs less than one outside it, and the hierarchy
/// shapes the fine logits directly (flat ABMIL included, which has no coarse head). A class without
/// siblings (the only child of its parent) keeps the plain one-hot target whatever ε.
///
/// ε = 0 is the plain cross-entropy exactly (same value and gradient, bit for bit).
public enum SiblingLabelSmoothing {
    /// The target distribution t [Kf] for fine label `label`; `parents[j]` = π(j). 0 ≤ ε < 1.
    public static func target(label: Int, parents: [Int], epsilon: Double) -> [Double] {
        precondition(parents.indices.contains(label), "label \(label) outside \(parents.count) classes")
        precondition(epsilon >= 0 && epsilon < 1, "sibling smoothing \(epsilon) outside [0, 1)")
        var t = [Double](repeating: 0, count: parents.count)
        let siblings = parents.indices.filter { $0 != label && parents[$0] == parents[label] }
        guard epsilon > 0, !siblings.isEmpty else {
            t[label] = 1
            return t
        }
        t[label] = 1 - epsilon
        for s in siblings { t[s] = epsilon / Double(siblings.count) }
        return t
    }

    /// The smoothed cross-entropy of one bag's fine logits [Kf] and its gradient p − t. Where no mass
    /// moves (ε = 0, or a class without siblings) this is `CrossEntropyLoss.evaluate(logits:label:)`.
    public static func evaluate(logits: [Float], label: Int, parents: [Int], epsilon: Double) -> LogitLoss {
        precondition(parents.count == logits.count, "\(logits.count) fine logits, \(parents.count) parents")
        let t = target(label: label, parents: parents, epsilon: epsilon)
        guard t[label] != 1 else { return CrossEntropyLoss.evaluate(logits: logits, label: label) }
        return CrossEntropyLoss.evaluate(logits: logits.map(Double.init), target: t)
    }
}
