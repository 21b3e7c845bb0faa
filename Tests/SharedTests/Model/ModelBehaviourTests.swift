import Shared
import XCTest

/// How the models behave across bags and threads: tiled inference equals the training forward,
/// workspaces are reusable across bag sizes, workers' gradient buffers sum to the single-buffer
/// result, and init is Kaiming-normal and reproducible.
final class ModelBehaviourTests: XCTestCase {
    let configurations: [ModelConfiguration] = [
        .hmil(HMILOptions(featureDim: 8, coarseClasses: 3, fineClasses: 7)),
        .hmil(HMILOptions(featureDim: 8, coarseClasses: 3, fineClasses: 7, scorer: .perClass, embedding: .shared)),
        .abmil(ABMILOptions(featureDim: 8, classes: 4)),
        .hmil(
            HMILOptions(
                featureDim: 8, coarseClasses: 3, fineClasses: 7, coarseGate: .fixed, finePrior: .coarse,
                finePriorWeight: 0.7, fineParents: ModelBehaviourTests.parents)),
        .hmil(
            HMILOptions(
                featureDim: 8, coarseClasses: 3, fineClasses: 7, scorer: .perClass, embedding: .shared,
                coarseGate: .detached, finePrior: .coarseDetached, fineParents: ModelBehaviourTests.parents))
    ]
    static let parents = [0, 1, 1, 1, 2, 2, 2]

    func testTiledInferenceMatchesTrainingForwardOverManyTiles() {
        for configuration in configurations {
            var g = SeededGenerator(seed: 1)
            let model = configuration.makeModel(generator: &g)
            let n = 1300  // three tiles of 512, the last partial
            let x = randomFloats(n * 8, &g, scale: 3)
            let a = model.forward(features: x, instanceCount: n, workspace: Workspace())
            let b = model.infer(features: x, instanceCount: n, workspace: Workspace())
            assertClose(b.coarseLogits, a.coarseLogits, rtol: 1e-4, atol: 1e-5, "\(configuration.kind) coarse logits")
            assertClose(b.fineLogits, a.fineLogits, rtol: 1e-4, atol: 1e-5, "\(configuration.kind) fine logits")
            assertClose(b.coarseAttention, a.coarseAttention, rtol: 1e-4, atol: 1e-8, "\(configuration.kind) A_c")
            assertClose(b.fineAttention, a.fineAttention, rtol: 1e-4, atol: 1e-8, "\(configuration.kind) A_f")
            assertClose(b.embedding, a.embedding, rtol: 1e-4, atol: 1e-6, "\(configuration.kind) z")
        }
    }

    func testWorkspaceReusedAcrossBagSizesGivesFreshResults() {
        for configuration in configurations {
            var g = SeededGenerator(seed: 2)
            let model = configuration.makeModel(generator: &g)
            let big = randomFloats(40 * 8, &g)
            let small = randomFloats(3 * 8, &g)
            let shared = Workspace()
            _ = model.forward(features: big, instanceCount: 40, workspace: shared)
            let reused = model.forward(features: small, instanceCount: 3, workspace: shared)
            let fresh = model.forward(features: small, instanceCount: 3, workspace: Workspace())
            XCTAssertEqual(reused.fineLogits, fresh.fineLogits)
            XCTAssertEqual(reused.fineAttention, fresh.fineAttention)
            let bytes = shared.bytesAllocated
            _ = model.forward(features: big, instanceCount: 40, workspace: shared)
            XCTAssertEqual(shared.bytesAllocated, bytes, "steady state allocates nothing")
        }
    }

    func testWorkerBuffersSumToSingleBufferGradient() {
        for configuration in configurations {
            var g = SeededGenerator(seed: 3)
            let model = configuration.makeModel(generator: &g)
            let bags = [(randomFloats(9 * 8, &g), 9), (randomFloats(4 * 8, &g), 4), (randomFloats(17 * 8, &g), 17)]
            let single = model.makeGradientBuffer()
            let workers = [model.makeGradientBuffer(), model.makeGradientBuffer()]
            let ws = [Workspace(), Workspace()]
            for (i, (x, n)) in bags.enumerated() {
                let out = model.forward(features: x, instanceCount: n, workspace: ws[0])
                var rg = SeededGenerator(seed: UInt64(i))
                let r = randomUpstream(like: out, &rg)
                model.backward(r, workspace: ws[0], into: single)
                _ = model.forward(features: x, instanceCount: n, workspace: ws[i % 2])
                model.backward(r, workspace: ws[i % 2], into: workers[i % 2])
            }
            model.parameters.zeroGradients()
            model.addGradients([single])
            let expected = model.parameters.parameters.map(\.gradient)
            model.parameters.zeroGradients()
            model.addGradients(workers)
            for (p, e) in zip(model.parameters.parameters, expected) {
                assertGradientClose(p.gradient, e, tolerance: 1e-5, "\(configuration.kind) \(p.name)")
            }
            // addGradients adds: a second call doubles.
            model.addGradients(workers)
            assertGradientClose(model.parameters.parameters[0].gradient, expected[0].map { 2 * $0 }, tolerance: 1e-5, "accumulates")
        }
    }

    /// setGradients over the active workers' buffers (the trainer's step) gives bit for bit what zeroing and
    /// then addGradients over every worker's buffer, idle ones included, gave: with one buffer and with
    /// several, whatever the gradients held before, −0 in the buffers included.
    func testSetGradientsIsZeroThenAddBitForBit() {
        for configuration in configurations {
            var g = SeededGenerator(seed: 4)
            let model = configuration.makeModel(generator: &g)
            let buffers = [model.makeGradientBuffer(), model.makeGradientBuffer(), model.makeGradientBuffer()]
            let ws = Workspace()
            for (i, n) in [5, 11, 3].enumerated() {
                let x = randomFloats(n * 8, &g)
                let out = model.forward(features: x, instanceCount: n, workspace: ws)
                model.backward(randomUpstream(like: out, &g), workspace: ws, into: buffers[i])
            }
            for b in buffers { for i in stride(from: 0, to: b.layout.totalCount, by: 7) { b.storage[i] = -0.0 } }
            for used in [1, 2, 3] {
                let active = Array(buffers.prefix(used))
                for p in model.parameters.parameters { for i in p.gradient.indices { p.gradient[i] = Float(i % 3) - 1 } }
                // As the trainer summed before: every worker's buffer, the idle ones zero.
                let idle = model.makeGradientBuffer()
                model.parameters.zeroGradients()
                model.addGradients(active + [idle])
                let expected = model.parameters.parameters.map { $0.gradient.map(\.bitPattern) }
                for p in model.parameters.parameters { for i in p.gradient.indices { p.gradient[i] = 7 } }
                model.setGradients(active)
                XCTAssertEqual(
                    model.parameters.parameters.map { $0.gradient.map(\.bitPattern) }, expected,
                    "\(configuration.kind), \(used) buffers")
                XCTAssertFalse(model.parameters.parameters.contains { $0.gradient.contains { $0 == 0 && $0.sign == .minus } })
            }
        }
    }

    /// The learned gate starts at γ = 0: with the same seed the model draws the same weights as the
    /// ungated one and gives the same outputs, so training starts from the ungated model.
    func testLearnedGateStartsAsTheUngatedModel() {
        let plain = HMILOptions(featureDim: 8, coarseClasses: 3, fineClasses: 7, scorer: .perClass)
        var gated = plain
        gated.coarseGate = .learned
        gated.fineParents = Self.parents
        var g1 = SeededGenerator(seed: 4)
        var g2 = SeededGenerator(seed: 4)
        let a = HMILModel(options: plain, generator: &g1)
        let b = HMILModel(options: gated, generator: &g2)
        XCTAssertEqual(b.parameters.parameters.last?.name, "coarse_gate.gamma")
        XCTAssertEqual(b.parameters["coarse_gate.gamma"]!.value, [Float](repeating: 0, count: 7))
        let x = randomFloats(30 * 8, &g1)
        let p = a.forward(features: x, instanceCount: 30, workspace: Workspace())
        let q = b.forward(features: x, instanceCount: 30, workspace: Workspace())
        XCTAssertEqual(p.fineLogits, q.fineLogits)
        XCTAssertEqual(p.fineAttention, q.fineAttention)
        XCTAssertEqual(p.coarseAttention, q.coarseAttention)
    }

    /// γ < 0 after a step is projected to 0 by prepare(); the gate with γ = 1 is the fixed gate.
    func testLearnedGateIsProjectedOntoNonNegativeValues() {
        let options = HMILOptions(featureDim: 8, coarseClasses: 3, fineClasses: 7, coarseGate: .learned, fineParents: Self.parents)
        var g = SeededGenerator(seed: 6)
        let model = HMILModel(options: options, generator: &g)
        let gamma = model.parameters["coarse_gate.gamma"]!
        gamma.value = [-0.5, 0.25, -0.0, 1, -2, 3, 0]
        model.prepare()
        XCTAssertEqual(gamma.value, [0, 0.25, 0, 1, 0, 3, 0])
        var fixedOptions = options
        fixedOptions.coarseGate = .fixed
        let fixed = HMILModel(options: fixedOptions)
        for (p, q) in zip(fixed.parameters.parameters, model.parameters.parameters) { p.value = q.value }
        gamma.value = [Float](repeating: 1, count: 7)
        model.prepare()
        fixed.prepare()
        let x = randomFloats(20 * 8, &g)
        XCTAssertEqual(
            model.forward(features: x, instanceCount: 20, workspace: Workspace()).fineAttention,
            fixed.forward(features: x, instanceCount: 20, workspace: Workspace()).fineAttention)
    }

    /// Detaching changes gradients only: the outputs are those of the attached option, and the gate
    /// and the prior do change them (the fine attention and logits differ from the plain model's).
    func testDetachedOptionsChangeNoOutputAndTheVariantsDoChangeThem() {
        let plain = HMILOptions(featureDim: 8, coarseClasses: 3, fineClasses: 7, fineParents: Self.parents)
        func output(_ gate: HMILOptions.CoarseGate, _ prior: HMILOptions.FinePrior) -> BagOutput {
            var options = plain
            options.coarseGate = gate
            options.finePrior = prior
            var g = SeededGenerator(seed: 8)
            let model = HMILModel(options: options, generator: &g)
            return model.forward(features: randomFloats(25 * 8, &g), instanceCount: 25, workspace: Workspace())
        }
        let attached = output(.fixed, .coarse)
        let detached = output(.detached, .coarseDetached)
        let none = output(.none, .none)
        XCTAssertEqual(attached.fineLogits, detached.fineLogits)
        XCTAssertEqual(attached.fineAttention, detached.fineAttention)
        XCTAssertEqual(attached.coarseLogits, none.coarseLogits)
        XCTAssertEqual(attached.coarseAttention, none.coarseAttention)
        XCTAssertNotEqual(attached.fineAttention, none.fineAttention)
        XCTAssertNotEqual(attached.fineLogits, none.fineLogits)
    }

    func testKaimingNormalInitIsReproducible() {
        let options = HMILOptions(featureDim: 512, coarseClasses: 3, fineClasses: 7)
        var g1 = SeededGenerator(seed: 9)
        var g2 = SeededGenerator(seed: 9)
        let a = HMILModel(options: options, generator: &g1)
        let b = HMILModel(options: options, generator: &g2)
        for (p, q) in zip(a.parameters.parameters, b.parameters.parameters) { XCTAssertEqual(p.value, q.value, p.name) }
        let w1 = a.parameters["feature_extractor.0.weight"]!.value  // fan-in 512
        let variance = w1.reduce(0) { $0 + Double($1) * Double($1) } / Double(w1.count)
        XCTAssertEqual(variance, 2.0 / 512, accuracy: 0.03 * 2.0 / 512)
        let w2 = a.parameters["feature_extractor.2.weight"]!.value  // fan-in 256
        XCTAssertEqual(w2.reduce(0) { $0 + Double($1) * Double($1) } / Double(w2.count), 2.0 / 256, accuracy: 0.03 * 2.0 / 256)
        XCTAssertTrue(a.parameters.parameters.filter { $0.shape.count == 1 }.allSatisfy { $0.value.allSatisfy { $0 == 0 } })
    }

    func testParameterNamesAndShapesFollowTheRelease() {
        let released = HMILModel(options: HMILOptions(featureDim: 1024, coarseClasses: 3, fineClasses: 7))
        XCTAssertEqual(
            released.parameters.parameters.map(\.name),
            [
                "feature_extractor.0.weight", "feature_extractor.0.bias", "feature_extractor.2.weight", "feature_extractor.2.bias",
                "feature_reducer.0.weight", "feature_reducer.0.bias",
                "coarse_attention.0.attention_a.0.weight", "coarse_attention.0.attention_a.0.bias",
                "coarse_attention.0.attention_b.0.weight", "coarse_attention.0.attention_b.0.bias",
                "coarse_attention.0.attention_c.weight", "coarse_attention.0.attention_c.bias",
                "fine_attention.0.attention_a.0.weight", "fine_attention.0.attention_a.0.bias",
                "fine_attention.0.attention_b.0.weight", "fine_attention.0.attention_b.0.bias",
                "fine_attention.0.attention_c.weight", "fine_attention.0.attention_c.bias",
                "coarse_classifier.weight", "coarse_classifier.bias", "fine_classifier.weight", "fine_classifier.bias"
            ])
        XCTAssertEqual(released.parameters["feature_extractor.2.weight"]!.shape, [1024, 256])
        XCTAssertEqual(released.parameters["coarse_attention.0.attention_a.0.weight"]!.shape, [256, 1024])
        XCTAssertEqual(released.parameters["coarse_classifier.weight"]!.shape, [1, 1024])
        let shared = HMILModel(
            options: HMILOptions(featureDim: 1024, coarseClasses: 3, fineClasses: 7, scorer: .perClass, embedding: .shared))
        XCTAssertNil(shared.parameters["feature_extractor.2.weight"])
        XCTAssertEqual(shared.parameters["feature_reducer.0.weight"]!.shape, [256, 256])
        XCTAssertEqual(shared.parameters["coarse_classifiers.2.weight"]!.shape, [1, 256])
        XCTAssertEqual(shared.parameters["fine_classifiers.6.weight"]!.shape, [1, 256])
        XCTAssertNil(shared.parameters["fine_classifiers.7.weight"])
        let abmil = ABMILModel(options: ABMILOptions(featureDim: 1024, classes: 7))
        XCTAssertEqual(
            abmil.parameters.parameters.map { "\($0.name) \($0.shape)" },
            [
                "feature.0.weight [256, 1024]", "feature.0.bias [256]",
                "attention.attention_a.0.weight [128, 256]", "attention.attention_a.0.bias [128]",
                "attention.attention_b.0.weight [128, 256]", "attention.attention_b.0.bias [128]",
                "attention.attention_c.weight [1, 128]", "attention.attention_c.bias [1]",
                "classifier.weight [7, 256]", "classifier.bias [7]"
            ])
    }
}
