/// Stochastic gradient descent exactly as `torch.optim.SGD` (single-tensor path), f32 state:
///
///     g ← grad + λ·p                                   (weight decay λ; off when 0)
///     b ← g on the first step, else μ·b + (1 − dampening)·g   (momentum μ; off when 0)
///     g ← g + μ·b if nesterov, else b
///     p ← p − lr·g
///
/// Multiply-adds are fused as in torch's CPU kernels, which makes the updates bit-identical to torch's.
public final class SGD: Optimizer {
    public let parameters: ParameterSet
    public var learningRate: Double
    public var momentum: Double
    public var dampening: Double
    public var nesterov: Bool
    public var weightDecay: Double
    public private(set) var stepCount = 0
    /// Momentum buffers; empty until the first step with momentum (torch creates them lazily).
    private var buffers: [[Float]] = []

    public init(
        parameters: ParameterSet, learningRate: Double, momentum: Double = 0, dampening: Double = 0,
        nesterov: Bool = false, weightDecay: Double = 0
    ) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "nesterov needs momentum > 0 and dampening 0 (as torch)")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public func step() {
        let firstStep = buffers.isEmpty
        if momentum != 0 && firstStep {
            buffers = parameters.parameters.map { [Float](repeating: 0, count: $0.count) }
        }
        stepCount += 1
        let decay = Float(weightDecay)
        let mu = Float(momentum)
        let keep = Float(1 - dampening)
        let negLR = Float(-learningRate)
        for (index, parameter) in parameters.parameters.enumerated() {
            parameter.value.withUnsafeMutableBufferPointer { p in
                parameter.gradient.withUnsafeBufferPointer { grad in
                    if momentum == 0 {
                        for i in 0..<p.count {
                            var g = grad[i]
                            if weightDecay != 0 { g = g.addingProduct(decay, p[i]) }
                            p[i] = p[i].addingProduct(negLR, g)
                        }
                        return
                    }
                    buffers[index].withUnsafeMutableBufferPointer { b in
                        for i in 0..<p.count {
                            var g = grad[i]
                            if weightDecay != 0 { g = g.addingProduct(decay, p[i]) }
                            if firstStep { b[i] = g } else { b[i] = (b[i] * mu).addingProduct(keep, g) }
                            g = nesterov ? g.addingProduct(mu, b[i]) : b[i]
                            p[i] = p[i].addingProduct(negLR, g)
                        }
                    }
                }
            }
        }
    }

    public func state() -> OptimizerState {
        let tensors =
            buffers.isEmpty
            ? []
            : parameters.parameters.enumerated().map { index, p in
                NamedTensor(name: "\(p.name).momentum_buffer", shape: p.shape, values: buffers[index])
            }
        return OptimizerState(kind: "sgd", stepCount: stepCount, learningRate: learningRate, tensors: tensors)
    }

    public func restore(_ state: OptimizerState, source: String) throws {
        // Buffers exist once a step with momentum has been taken.
        let names = (momentum != 0 && state.stepCount > 0) ? ["momentum_buffer"] : []
        buffers = try state.buffers(kind: "sgd", names: names, for: parameters, source: source)
        stepCount = state.stepCount
        learningRate = state.learningRate
    }
}
