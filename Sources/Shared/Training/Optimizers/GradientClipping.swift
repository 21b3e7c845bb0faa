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

    /// Whether every gradient is finite, i.e. whether `globalNorm` is (finite floats cannot overflow the
    /// Double sum), at memory speed: the trainer's check when it does not clip, where the norm's value
    /// itself is not needed and its sequential Double sum cost a tenth of a small model's step.
    public static func allFinite(_ parameters: ParameterSet) -> Bool {
        for parameter in parameters.parameters {
            let finite = parameter.gradient.withUnsafeBufferPointer { g -> Bool in
                // x·0 is 0 for finite x and NaN for ±inf and NaN; the sum stays 0 only if all are finite.
                var lanes = SIMD8<Float>()
                var i = 0
                let raw = UnsafeRawPointer(g.baseAddress!)
                while i + 8 <= g.count {
                    lanes += raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) * 0
                    i += 8
                }
                var tail: Float = 0
                while i < g.count {
                    tail += g[i] * 0
                    i += 1
                }
                return lanes.sum() + tail == 0
            }
            if !finite { return false }
        }
        return true
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
