/// What the trainer and evaluator need from a bag classifier (HMIL or the flat ABMIL baseline).
///
/// One training step over a batch, possibly with several worker threads:
/// ```
/// model.prepare()                                   // snapshot weights (once per optimizer step)
/// // each worker w, with its own Workspace ws[w] and GradientBuffer g[w] (zeroed):
/// let out = model.forward(features: bag.features, instanceCount: bag.instanceCount, workspace: ws[w])
/// let dOut = objective(out, labels)                 // a BagOutputGradient
/// model.backward(dOut, workspace: ws[w], into: g[w])
/// // then, on one thread:
/// model.setGradients(g); optimizer.step(model.parameters)   // or zeroGradients() then addGradients(g)
/// ```
/// forward/backward only read the snapshot made by `prepare()`, so workers may run concurrently;
/// after changing parameter values (optimizer step, loading) call `prepare()` again before the
/// next forward. Bags must have at least one instance.
public protocol MILModel: AnyObject {
    /// Trainable tensors in state_dict order (DESIGN §2.6).
    var parameters: ParameterSet { get }
    var configuration: ModelConfiguration { get }

    /// Snapshots parameter values (and composes the maps the forward uses). Call after every change
    /// of parameter values; init and checkpoint loading call it.
    func prepare()

    /// Training forward: keeps in `workspace` what `backward` needs (including a reference to
    /// `features`, N×D row-major). Dropout, when the model has it, draws from `workspace.dropoutGenerator`.
    func forward(features: [Float], instanceCount: Int, workspace: Workspace) -> BagOutput

    /// Inference forward (no dropout, nothing kept for backward, memory O(tile) besides the N
    /// attention scores). Same outputs as `forward` up to float rounding.
    func infer(features: [Float], instanceCount: Int, workspace: Workspace) -> BagOutput

    /// Adds ∂L/∂(snapshot blocks) of the bag of the last `forward` on `workspace` into `gradients`.
    func backward(_ gradient: BagOutputGradient, workspace: Workspace, into gradients: GradientBuffer)

    /// A zeroed gradient accumulator laid out for this model.
    func makeGradientBuffer() -> GradientBuffer

    /// Sums `buffers` in order, maps the sum onto the parameters (through the composition) and
    /// adds it to each Parameter.gradient. Uses the snapshot of the last `prepare()`.
    func addGradients(_ buffers: [GradientBuffer])

    /// Parameter.gradient ← that sum: bit for bit `parameters.zeroGradients()` then `addGradients`, which
    /// the default does; a model whose blocks are its parameters copies instead (one pass, not three:
    /// for a small model the passes over the gradients cost as much as its forward, issue 12).
    func setGradients(_ buffers: [GradientBuffer])
}

extension MILModel {
    public func setGradients(_ buffers: [GradientBuffer]) {
        parameters.zeroGradients()
        addGradients(buffers)
    }
}

/// The two models: HMIL, or the flat gated-attention ABMIL baseline on fine labels.
public enum ModelKind: String, NamedChoice {
    case hmil, abmil
}

/// Which model, with its options: what a checkpoint's metadata records so the model can be rebuilt.
public enum ModelConfiguration: Equatable, Sendable {
    case hmil(HMILOptions)
    case abmil(ABMILOptions)

    /// A fresh model with Kaiming-normal weights drawn from `generator`.
    public func makeModel(generator: inout SeededGenerator) -> MILModel {
        switch self {
        case .hmil(let options): return HMILModel(options: options, generator: &generator)
        case .abmil(let options): return ABMILModel(options: options, generator: &generator)
        }
    }

    /// As in checkpoint metadata (`model`) and `hmil-train --model`.
    public var kind: ModelKind {
        switch self {
        case .hmil: return .hmil
        case .abmil: return .abmil
        }
    }

    public var featureDim: Int {
        switch self {
        case .hmil(let o): return o.featureDim
        case .abmil(let o): return o.featureDim
        }
    }
}

/// Kaiming-normal init as torch.nn.init.kaiming_normal_ with its defaults (fan-in, gain √2):
/// weights ~ N(0, 2/fan_in), biases zero. Weights are drawn in parameter order, row-major.
public func kaimingInitialize(_ parameters: ParameterSet, generator: inout SeededGenerator) {
    for p in parameters.parameters {
        if p.shape.count == 2 {
            let std = (2.0 / Double(p.shape[1])).squareRoot()
            for i in p.value.indices { p.value[i] = Float(generator.nextNormal() * std) }
        } else {
            for i in p.value.indices { p.value[i] = 0 }
        }
    }
}

/// Runs `body` with a pointer to a parameter's values, which it must only read (a read access, so
/// it may nest with other reads of the same parameter).
@inline(__always)
func withValues<R>(_ p: Parameter, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
    try p.value.withUnsafeBufferPointer { try body(UnsafeMutablePointer(mutating: $0.baseAddress!)) }
}

/// Runs `body` with a pointer to a parameter's gradient.
@inline(__always)
func withGradient<R>(_ p: Parameter, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
    try p.gradient.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
}
