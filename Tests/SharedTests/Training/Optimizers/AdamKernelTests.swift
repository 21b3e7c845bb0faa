import CKernels
import Shared
import XCTest

/// Adam's element loop moved to C (CKernels) for speed (issue 12): it must give, bit for bit, what the
/// Swift loop it replaced gave, on the vector path this CPU takes and on the scalar path, for every form
/// of weight decay and for lengths that leave a tail after the 8-wide blocks.
final class AdamKernelTests: XCTestCase {
    /// The Swift loop Adam.step ran before issue 12, verbatim but for the buffers.
    private func referenceStep(
        p: inout [Float], grad: [Float], m: inout [Float], v: inout [Float], t: Int,
        lr: Double, beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double,
        decoupled: Bool
    ) {
        let stepSize = lr / (1 - pow(beta1, Double(t)))
        let negStep = Float(-stepSize)
        let correction2 = Float((1 - pow(beta2, Double(t))).squareRoot())
        let eps = Float(epsilon)
        let lerpWeight = Float(1 - beta1)
        let b2 = Float(beta2)
        let oneMinusB2 = Float(1 - beta2)
        let decay = Float(weightDecay)
        let shrink = Float(1 - lr * weightDecay)
        for i in 0..<p.count {
            var g = grad[i]
            if weightDecay != 0 {
                if decoupled { p[i] *= shrink } else { g = g.addingProduct(decay, p[i]) }
            }
            m[i] = m[i].addingProduct(lerpWeight, g - m[i])
            v[i] = (v[i] * b2).addingProduct(oneMinusB2 * g, g)
            let denominator = v[i].squareRoot() / correction2 + eps
            p[i] += negStep * m[i] / denominator
        }
    }

    /// Values of many magnitudes, with zeros of both signs and subnormals among them.
    private func values(_ count: Int, _ generator: inout SeededGenerator) -> [Float] {
        (0..<count).map { i in
            switch i % 11 {
            case 3: return 0
            case 7: return -0.0
            case 9: return Float.leastNonzeroMagnitude * Float(1 + i % 5)
            default: return Float(generator.nextNormal() * pow(10, Double(Int(generator.next() % 9)) - 6))
            }
        }
    }

    func testKernelMatchesTheSwiftLoopBitForBit() {
        var generator = SeededGenerator(seed: 12)
        for (weightDecay, decoupled) in [(0.0, false), (0.01, false), (0.05, true)] {
            for count in [1, 7, 8, 13, 64, 1001] {
                let parameter = Parameter(name: "w", shape: [count], value: values(count, &generator))
                let adam = Adam(
                    parameters: ParameterSet([parameter]), learningRate: 3e-3, weightDecay: weightDecay,
                    decoupledWeightDecay: decoupled)
                var p = parameter.value
                var m = [Float](repeating: 0, count: count)
                var v = m
                for t in 1...4 {
                    let grad = values(count, &generator)
                    parameter.gradient = grad
                    adam.step()
                    referenceStep(
                        p: &p, grad: grad, m: &m, v: &v, t: t, lr: 3e-3, beta1: 0.9, beta2: 0.999,
                        epsilon: 1e-8, weightDecay: weightDecay, decoupled: decoupled)
                    let state = adam.state()
                    XCTAssertEqual(
                        parameter.value.map(\.bitPattern), p.map(\.bitPattern), "p, n \(count) step \(t) wd \(weightDecay) \(decoupled)")
                    XCTAssertEqual(state.tensors[0].values.map(\.bitPattern), m.map(\.bitPattern), "m, n \(count) step \(t)")
                    XCTAssertEqual(state.tensors[1].values.map(\.bitPattern), v.map(\.bitPattern), "v, n \(count) step \(t)")
                }
            }
        }
    }

    /// The C scalar path (what a CPU without AVX2+FMA runs) against the dispatching entry point.
    func testScalarAndVectorPathsAgree() {
        var generator = SeededGenerator(seed: 13)
        let count = 203
        for mode: Int32 in [0, 1, 2] {
            var p1 = values(count, &generator)
            var m1 = values(count, &generator).map(abs)
            var v1 = values(count, &generator).map(abs)
            var p2 = p1
            var m2 = m1
            var v2 = v1
            let grad = values(count, &generator)
            hmil_adam_step(&p1, grad, &m1, &v1, count, -1e-3, 0.03, 1e-8, 0.1, 0.999, 0.001, mode, 0.01, 0.99999)
            hmil_adam_step_scalar(&p2, grad, &m2, &v2, count, -1e-3, 0.03, 1e-8, 0.1, 0.999, 0.001, mode, 0.01, 0.99999)
            XCTAssertEqual(p1.map(\.bitPattern), p2.map(\.bitPattern), "mode \(mode)")
            XCTAssertEqual(m1.map(\.bitPattern), m2.map(\.bitPattern), "mode \(mode)")
            XCTAssertEqual(v1.map(\.bitPattern), v2.map(\.bitPattern), "mode \(mode)")
        }
        print("AdamKernelTests: vector path \(hmil_kernels_vectorised() == 1 ? "AVX2+FMA" : "not available (scalar only)")")
    }

    /// The trainer's check without clipping: allFinite says exactly whether globalNorm is finite.
    func testAllFiniteAgreesWithTheNorm() {
        var generator = SeededGenerator(seed: 14)
        for bad in [Float?.none, .infinity, -.infinity, .nan, .greatestFiniteMagnitude] {
            for position in [0, 5, 8, 17, 999] {
                let a = Parameter(name: "a", shape: [1000], value: values(1000, &generator))
                let b = Parameter(name: "b", shape: [3], value: [1, 2, 3])
                a.gradient = values(1000, &generator)
                b.gradient = [-1, 0, 4]
                if let bad { if position < 3 { b.gradient[position] = bad } else { a.gradient[position] = bad } }
                let parameters = ParameterSet([b, a])
                XCTAssertEqual(
                    GradientClipping.allFinite(parameters), GradientClipping.globalNorm(parameters).isFinite,
                    "\(String(describing: bad)) at \(position)")
            }
        }
    }
}
