/// A named trainable tensor: values and the gradient accumulated for them, both row-major f32.
/// Names and shapes are those of the official PyTorch module's state_dict (DESIGN §2.6), so a
/// checkpoint maps onto PyTorch by name; Linear weights are [out, in].
public final class Parameter {
    public let name: String
    public let shape: [Int]
    public var value: [Float]
    public var gradient: [Float]

    public init(name: String, shape: [Int], value: [Float]? = nil) {
        let count = shape.reduce(1, *)
        self.name = name
        self.shape = shape
        self.value = value ?? [Float](repeating: 0, count: count)
        precondition(self.value.count == count, "\(name): \(self.value.count) values for shape \(shape)")
        gradient = [Float](repeating: 0, count: count)
    }

    public var count: Int { value.count }

    public func zeroGradient() {
        for i in gradient.indices { gradient[i] = 0 }
    }
}

/// The parameters of a model in a fixed order (the state_dict order); what optimizers step and
/// checkpoints store.
public struct ParameterSet {
    public var parameters: [Parameter]

    public init(_ parameters: [Parameter]) {
        self.parameters = parameters
    }

    public subscript(name: String) -> Parameter? {
        parameters.first { $0.name == name }
    }

    public var scalarCount: Int { parameters.reduce(0) { $0 + $1.count } }

    public func zeroGradients() {
        for p in parameters { p.zeroGradient() }
    }
}
