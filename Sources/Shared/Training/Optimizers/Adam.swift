import CKernels

/// Adam exactly as `torch.optim.Adam` (single-tensor path, which torch uses on CPU), f32 state:
///
///     g ← grad + λ·p                        (L2 weight decay, λ = weightDecay; off when 0)
///     m ← m + (1 − β₁)·(g − m)               (torch's lerp_)
///     v ← β₂·v + (1 − β₂)·g²
///     p ← p − (lr / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε)     (ε outside the square root)
///
/// With `decoupledWeightDecay` (AdamW, as `torch.optim.AdamW` / Adam(decoupled_weight_decay=True))
/// the gradient is left alone and p ← p·(1 − lr·λ) comes first.
/// The multiply-adds are fused (`addingProduct`, fmaf) where torch's CPU kernels fuse them; SGD then
/// matches torch bit for bit and Adam to within an ulp (tests: OptimizerParityTests). Adam's element
/// loop is C (CKernels' hmil_adam_step): AVX2+FMA where the CPU has it, the same bits as the scalar
/// loop everywhere (AdamKernelTests); a small model's step was mostly this loop (issue 12).
/// Defaults are torch's and the release's: lr 1e-3 (release 1e-4), β (0.9, 0.999), ε 1e-8, λ 0.
public final class Adam: Optimizer {
    public let parameters: ParameterSet
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var weightDecay: Double
    public var decoupledWeightDecay: Bool
    public private(set) var stepCount = 0
    private var firstMoments: [[Float]]  // exp_avg, one per parameter
    private var secondMoments: [[Float]]  // exp_avg_sq

    public init(
        parameters: ParameterSet, learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
        epsilon: Double = 1e-8, weightDecay: Double = 0, decoupledWeightDecay: Bool = false
    ) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        firstMoments = parameters.parameters.map { [Float](repeating: 0, count: $0.count) }
        secondMoments = firstMoments
    }

    public func step() {
        stepCount += 1
        let t = Double(stepCount)
        // Scalars are formed in Double and rounded to f32 once, as torch passes Python floats to
        // f32 kernels.
        let stepSize = learningRate / (1 - pow(beta1, t))
        let negStep = Float(-stepSize)
        let correction2 = Float((1 - pow(beta2, t)).squareRoot())
        let eps = Float(epsilon)
        let lerpWeight = Float(1 - beta1)
        let b2 = Float(beta2)
        let oneMinusB2 = Float(1 - beta2)
        let decay = Float(weightDecay)
        let shrink = Float(1 - learningRate * weightDecay)
        let mode: Int32 = weightDecay == 0 ? 0 : (decoupledWeightDecay ? 2 : 1)
        for (index, parameter) in parameters.parameters.enumerated() {
            firstMoments[index].withUnsafeMutableBufferPointer { m in
                secondMoments[index].withUnsafeMutableBufferPointer { v in
                    parameter.value.withUnsafeMutableBufferPointer { p in
                        parameter.gradient.withUnsafeBufferPointer { grad in
                            // The element loop in C (CKernels), vectorised with fused multiply-adds where the CPU
                            // has them and bit for bit the scalar loop everywhere (AdamKernelTests).
                            hmil_adam_step(
                                p.baseAddress, grad.baseAddress, m.baseAddress, v.baseAddress, p.count,
                                negStep, correction2, eps, lerpWeight, b2, oneMinusB2, mode, decay, shrink)
                        }
                    }
                }
            }
        }
    }

    public func state() -> OptimizerState {
        var tensors: [NamedTensor] = []
        for (index, p) in parameters.parameters.enumerated() {
            tensors.append(NamedTensor(name: "\(p.name).exp_avg", shape: p.shape, values: firstMoments[index]))
            tensors.append(NamedTensor(name: "\(p.name).exp_avg_sq", shape: p.shape, values: secondMoments[index]))
        }
        return OptimizerState(kind: "adam", stepCount: stepCount, learningRate: learningRate, tensors: tensors)
    }

    public func restore(_ state: OptimizerState, source: String) throws {
        let buffers = try state.buffers(kind: "adam", names: ["exp_avg", "exp_avg_sq"], for: parameters, source: source)
        firstMoments = stride(from: 0, to: buffers.count, by: 2).map { buffers[$0] }
        secondMoments = stride(from: 1, to: buffers.count, by: 2).map { buffers[$0] }
        stepCount = state.stepCount
        learningRate = state.learningRate
    }
}

#if canImport(Glibc)
    import Glibc
#else
    import Foundation
#endif
