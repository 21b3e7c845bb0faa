/// Clipping by global norm, as `torch.nn.utils.clip_grad_norm_(parameters, maxNorm)` (norm type 2):
/// the total norm is the 2-norm over all gradients as one vector; every gradient is multiplied by
/// min(maxNorm / (total + 1e-6), 1).
public enum GradientClipping {
    /// Scales the gradients in place and returns the total norm before clipping.
    ///
    /// Unlike torch (which multiplies by NaN), a non-finite total norm leaves the gradients untouched;
    /// the caller sees the returned value and can stop with an error.
    @discardableResult
    public static func clipGlobalNorm(_ parameters: ParameterSet, maxNorm: Double) -> Double {
        precondition(maxNorm >= 0, "maxNorm must be ≥ 0")
        let total = globalNorm(parameters)
        guard total.isFinite else { return total }
        let coefficient = Float(min(maxNorm / (total + 1e-6), 1))
        for parameter in parameters.parameters {
            parameter.gradient.withUnsafeMutableBufferPointer { g in
                for i in 0..<g.count { g[i] *= coefficient }
            }
        }
        return total
    }

    /// √(Σ over all parameters of Σ g²), accumulated in Double.
    public static func globalNorm(_ parameters: ParameterSet) -> Double {
        var sum = 0.0
        for parameter in parameters.parameters {
            parameter.gradient.withUnsafeBufferPointer { g in
                for v in g { sum += Double(v) * Double(v) }
            }
        }
        return sum.squareRoot()
    }
}
