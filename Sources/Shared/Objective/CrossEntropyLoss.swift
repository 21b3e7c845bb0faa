import Foundation

/// A scalar loss of one bag's logits and its gradient ∂value/∂logits (same length as the logits).
/// Values and gradients are computed in Double: the objective costs O(K) per bag, so precision is free.
public struct LogitLoss: Sendable {
    public var value: Double
    public var gradient: [Double]
}

/// Cross-entropy of one bag, −log softmax(logits)[label] (torch's `CrossEntropyLoss` for one row).
/// The batch terms L_c and L_f are the mean of this over the bags.
public enum CrossEntropyLoss {
    /// Gradient: softmax(logits) − onehot(label).
    public static func evaluate(logits: [Float], label: Int) -> LogitLoss {
        evaluate(logits: logits.map(Double.init), label: label)
    }

    public static func evaluate(logits: [Double], label: Int) -> LogitLoss {
        precondition(logits.indices.contains(label), "label \(label) outside \(logits.count) classes")
        let lse = Softmax.logSumExp(logits)
        var gradient = logits.map { exp($0 - lse) }
        gradient[label] -= 1
        return LogitLoss(value: lse - logits[label], gradient: gradient)
    }

    /// Cross-entropy against a probability target, −Σ_j t_j·log softmax(logits)_j (torch's
    /// `cross_entropy` with class-probability targets, for one row). `target` is non-negative, one
    /// value per logit; it normally sums to 1. Gradient: (Σ_j t_j)·softmax(logits) − t.
    ///
    /// The value is summed as Σ_j t_j·(lse − l_j): every (lse − l_j) is ≥ 0, so nothing cancels, and a
    /// class with t_j = 0 adds nothing even when its logit is very negative.
    public static func evaluate(logits: [Double], target: [Double]) -> LogitLoss {
        precondition(target.count == logits.count, "\(target.count) target values for \(logits.count) classes")
        let lse = Softmax.logSumExp(logits)
        var value = 0.0
        var mass = 0.0
        for j in logits.indices where target[j] != 0 {
            value += target[j] * (lse - logits[j])
            mass += target[j]
        }
        let gradient = logits.indices.map { j in mass * exp(logits[j] - lse) - target[j] }
        return LogitLoss(value: value, gradient: gradient)
    }
}
