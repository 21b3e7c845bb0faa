/// An optimizer bound to a model's parameters (as torch binds `model.parameters()` at construction).
/// `step()` applies one update from the gradients accumulated in each `Parameter.gradient`;
/// `learningRate` is what a scheduler changes.
public protocol Optimizer: AnyObject {
    var parameters: ParameterSet { get }
    var learningRate: Double { get set }
    /// Updates taken so far (torch's `state[p]['step']`, the same for every parameter here).
    var stepCount: Int { get }
    func step()
    /// Everything needed to continue training bit for bit after a restart.
    func state() -> OptimizerState
    /// Replaces the state with one saved by `state()`; throws, naming `source`, if it does not fit
    /// this optimizer and these parameters.
    func restore(_ state: OptimizerState, source: String) throws
}

/// One named f32 tensor of optimizer state, e.g. `fine_classifier.weight.exp_avg` with the shape of
/// its parameter.
public struct NamedTensor: Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// An optimizer's state as plain data, so the trainer can write it beside a checkpoint (safetensors:
/// the tensors by name; `kind`, `stepCount` and `learningRate` as metadata) and read it back for
/// `--resume`. Tensor names are `<parameter name>.<buffer>` in parameter order, the buffers being
/// Adam's `exp_avg`, `exp_avg_sq` and SGD's `momentum_buffer` (torch's state keys).
public struct OptimizerState: Equatable, Sendable {
    /// "adam" or "sgd".
    public var kind: String
    public var stepCount: Int
    public var learningRate: Double
    public var tensors: [NamedTensor]

    public init(kind: String, stepCount: Int, learningRate: Double, tensors: [NamedTensor]) {
        self.kind = kind
        self.stepCount = stepCount
        self.learningRate = learningRate
        self.tensors = tensors
    }

    /// Checks kind, step and learning rate, then returns the values of the buffers named `buffers`
    /// for every parameter in order, each checked for name, shape and size.
    func buffers(
        kind expected: String, names buffers: [String], for parameters: ParameterSet,
        source: String
    ) throws -> [[Float]] {
        guard kind == expected else {
            throw ToolError(
                "optimizer state is for '\(kind)', not '\(expected)'", at: source,
                hint: "resume with the optimizer the run was started with")
        }
        guard stepCount >= 0 else { throw ToolError("optimizer step count \(stepCount) is negative", at: source) }
        guard learningRate.isFinite, learningRate >= 0 else {
            throw ToolError("optimizer learning rate \(learningRate) is not a finite value ≥ 0", at: source)
        }
        let expectedNames = parameters.parameters.flatMap { p in buffers.map { "\(p.name).\($0)" } }
        guard tensors.count == expectedNames.count else {
            throw ToolError(
                "optimizer state has \(tensors.count) tensors, expected \(expectedNames.count)", at: source,
                hint: "the state belongs to a different model or optimizer")
        }
        var result: [[Float]] = []
        result.reserveCapacity(tensors.count)
        for (index, name) in expectedNames.enumerated() {
            let tensor = tensors[index]
            let parameter = parameters.parameters[index / buffers.count]
            guard tensor.name == name else {
                throw ToolError(
                    "optimizer state tensor \(index) is '\(tensor.name)', expected '\(name)'", at: source,
                    hint: "the state belongs to a different model")
            }
            guard tensor.shape == parameter.shape, tensor.values.count == parameter.count else {
                throw ToolError(
                    "optimizer state tensor '\(name)' has shape \(tensor.shape) (\(tensor.values.count) values), expected \(parameter.shape)",
                    at: source, hint: "the state belongs to a model of another size")
            }
            result.append(tensor.values)
        }
        return result
    }
}
