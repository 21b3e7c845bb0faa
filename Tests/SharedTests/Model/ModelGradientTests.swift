import Shared
import XCTest

/// Finite-difference checks of the whole backward pass, L = Σ ⟨r, outputs⟩ for a random upstream
/// gradient r, for every combination of HMIL's options, with dropout, and for ABMIL. Each checked
/// parameter entry is perturbed, the model re-prepared (re-composing the 256-wide maps), and the
/// bag run again; so the check also covers the chain through the composition in addGradients.
final class ModelGradientTests: XCTestCase {
    func testHMILReleasedEmbeddingSharedScorer() { check(.hmil(HMILOptions(featureDim: 6, coarseClasses: 2, fineClasses: 3))) }
    func testHMILReleasedEmbeddingPerClassScorer() {
        check(.hmil(HMILOptions(featureDim: 6, coarseClasses: 2, fineClasses: 3, scorer: .perClass)))
    }
    func testHMILSharedEmbeddingSharedScorer() {
        check(.hmil(HMILOptions(featureDim: 6, coarseClasses: 2, fineClasses: 3, embedding: .shared)))
    }
    func testHMILSharedEmbeddingPerClassScorer() {
        check(.hmil(HMILOptions(featureDim: 6, coarseClasses: 2, fineClasses: 3, scorer: .perClass, embedding: .shared)))
    }
    func testHMILWithDropout() {
        check(.hmil(HMILOptions(featureDim: 6, coarseClasses: 2, fineClasses: 3, scorer: .perClass, dropout: true)))
    }
    func testABMIL() { check(.abmil(ABMILOptions(featureDim: 6, classes: 3))) }

    // MARK: The coarse gate and the fine prior (π = [0, 0, 1]; γ of the learned gate drawn in 0.3…1.3)

    private func variant(
        _ scorer: HMILOptions.Scorer = .shared, _ embedding: HMILOptions.Embedding = .released,
        gate: HMILOptions.CoarseGate = .none, prior: HMILOptions.FinePrior = .none, weight: Double = 1,
        dropout: Bool = false
    ) -> ModelConfiguration {
        .hmil(
            HMILOptions(
                featureDim: 6, coarseClasses: 2, fineClasses: 3, scorer: scorer, embedding: embedding, dropout: dropout,
                coarseGate: gate, finePrior: prior, finePriorWeight: weight, fineParents: [0, 0, 1]))
    }

    func testCoarseGateFixedEveryScorerAndEmbedding() {
        for scorer in HMILOptions.Scorer.allCases {
            for embedding in HMILOptions.Embedding.allCases { check(variant(scorer, embedding, gate: .fixed)) }
        }
    }
    /// γ itself is a checked parameter (all 3 entries), as is everything it gates.
    func testCoarseGateLearnedEveryScorerAndEmbedding() {
        for scorer in HMILOptions.Scorer.allCases {
            for embedding in HMILOptions.Embedding.allCases { check(variant(scorer, embedding, gate: .learned)) }
        }
    }
    func testCoarseGateLearnedWithDropoutAndPrior() {
        check(variant(.perClass, .shared, gate: .learned, prior: .coarse, weight: 0.6, dropout: true))
    }
    func testFinePriorEveryScorerAndEmbedding() {
        for scorer in HMILOptions.Scorer.allCases {
            for embedding in HMILOptions.Embedding.allCases { check(variant(scorer, embedding, prior: .coarse, weight: 1.7)) }
        }
    }
    func testFinePriorWithFixedGateAndDropout() { check(variant(gate: .fixed, prior: .coarse, weight: 0.5, dropout: true)) }

    /// A detached term's gradient is not the derivative of the outputs, so it is checked in three parts:
    /// with no upstream gradient on the fine outputs the detached path carries nothing and every
    /// parameter matches finite differences; parameters that cannot reach the coarse scores (or the
    /// coarse logits) match them with the full upstream; and from the fine outputs alone the coarse
    /// attention (or the coarse head) receives exactly nothing, where the attached option gives it a gradient.
    /// PyTorch's `.detach()` holds every gradient in ModelParityTests.
    func testCoarseGateDetached() {
        for scorer in HMILOptions.Scorer.allCases {
            for embedding in HMILOptions.Embedding.allCases {
                let configuration = variant(scorer, embedding, gate: .detached)
                check(configuration, upstream: Self.coarseOutputsOnly)
                check(configuration, only: Self.fineOnly)
                checkDetachedIsolation(
                    configuration, attached: variant(scorer, embedding, gate: .fixed),
                    isolated: { $0.hasPrefix("coarse_attention.") })
            }
        }
        check(variant(.perClass, .shared, gate: .detached, dropout: true), upstream: Self.coarseOutputsOnly)
    }

    func testFinePriorDetached() {
        for scorer in HMILOptions.Scorer.allCases {
            for embedding in HMILOptions.Embedding.allCases {
                let configuration = variant(scorer, embedding, prior: .coarseDetached, weight: 1.3)
                check(configuration, upstream: Self.coarseOutputsOnly)
                check(configuration, only: Self.fineOnly)
                checkDetachedIsolation(
                    configuration, attached: variant(scorer, embedding, prior: .coarse, weight: 1.3),
                    isolated: { $0.hasPrefix("coarse_attention.") || $0.hasPrefix("coarse_classifier") })
            }
        }
    }

    /// Upstream gradient on the coarse logits and A_c only.
    private static func coarseOutputsOnly(_ r: inout BagOutputGradient) {
        for i in r.fineLogits.indices { r.fineLogits[i] = 0 }
        for i in r.fineAttention.indices { r.fineAttention[i] = 0 }
        for i in r.embedding.indices { r.embedding[i] = 0 }
    }

    /// Parameters of the fine branch alone (they reach neither the coarse scores nor the coarse logits).
    private static func fineOnly(_ name: String) -> Bool {
        name.hasPrefix("feature_reducer.") || name.hasPrefix("fine_attention.") || name.hasPrefix("fine_classifier")
            || name == "coarse_gate.gamma"
    }

    /// From an upstream gradient on the fine outputs only, the `isolated` parameters get exactly zero
    /// with the detached option and a non-zero gradient with the attached one.
    private func checkDetachedIsolation(
        _ detached: ModelConfiguration, attached: ModelConfiguration,
        isolated: (String) -> Bool, file: StaticString = #filePath, line: UInt = #line
    ) {
        func gradients(_ configuration: ModelConfiguration) -> [String: [Float]] {
            var g = SeededGenerator(seed: 11)
            let model = configuration.makeModel(generator: &g)
            for p in model.parameters.parameters where p.shape.count == 1 { p.value = randomFloats(p.count, &g, scale: 0.1) }
            model.prepare()
            let workspace = Workspace()
            let out = model.forward(features: randomFloats(5 * 6, &g), instanceCount: 5, workspace: workspace)
            var r = randomUpstream(like: out, &g)
            for i in r.coarseLogits.indices { r.coarseLogits[i] = 0 }
            for i in r.coarseAttention.indices { r.coarseAttention[i] = 0 }
            let buffer = model.makeGradientBuffer()
            model.backward(r, workspace: workspace, into: buffer)
            model.parameters.zeroGradients()
            model.addGradients([buffer])
            return Dictionary(uniqueKeysWithValues: model.parameters.parameters.map { ($0.name, $0.gradient) })
        }
        let cut = gradients(detached)
        let kept = gradients(attached)
        let names = cut.keys.filter(isolated).sorted()
        XCTAssertFalse(names.isEmpty, file: file, line: line)
        for name in names {
            XCTAssertTrue(
                cut[name]!.allSatisfy { $0 == 0 }, "detached \(name) has a gradient from the fine outputs", file: file, line: line)
            XCTAssertTrue(kept[name]!.contains { $0 != 0 }, "attached \(name) has none", file: file, line: line)
        }
    }
    func testABMILWithDropout() { check(.abmil(ABMILOptions(featureDim: 6, classes: 3, dropout: true))) }

    /// `upstream` may zero parts of the random upstream gradient; `only` picks the parameters checked.
    private func check(
        _ configuration: ModelConfiguration, upstream: (inout BagOutputGradient) -> Void = { _ in },
        only: (String) -> Bool = { _ in true }, file: StaticString = #filePath, line: UInt = #line
    ) {
        var g = SeededGenerator(seed: 11)
        let model = configuration.makeModel(generator: &g)
        for p in model.parameters.parameters where p.shape.count == 1 { p.value = randomFloats(p.count, &g, scale: 0.1) }
        // γ of the learned gate away from its bound 0, where prepare() projects.
        if let gamma = model.parameters["coarse_gate.gamma"] { gamma.value = gamma.value.map { _ in 0.3 + Float(g.nextUniform()) } }
        model.prepare()
        let n = 5
        let d = configuration.featureDim
        let x = randomFloats(n * d, &g)
        let workspace = Workspace()
        func run() -> BagOutput {
            workspace.dropoutGenerator = SeededGenerator(seed: 77)  // same masks on every evaluation
            return model.forward(features: x, instanceCount: n, workspace: workspace)
        }
        let out = run()
        var r = randomUpstream(like: out, &g)
        upstream(&r)
        let buffer = model.makeGradientBuffer()
        model.backward(r, workspace: workspace, into: buffer)
        model.parameters.zeroGradients()
        model.addGradients([buffer])

        let h: Float = 4e-3
        for p in model.parameters.parameters where only(p.name) {
            // All entries of small tensors, a seeded sample of large ones.
            let picks = p.count <= 12 ? Array(0..<p.count) : (0..<8).map { _ in Int(g.next() % UInt64(p.count)) }
            for i in picks {
                let v = p.value[i]
                p.value[i] = v + h
                model.prepare()
                let up = upstreamLoss(run(), r)
                p.value[i] = v - h
                model.prepare()
                let down = upstreamLoss(run(), r)
                p.value[i] = v
                model.prepare()
                let numeric = (up - down) / Double(2 * h)
                let analytic = Double(p.gradient[i])
                XCTAssertEqual(
                    analytic, numeric, accuracy: 3e-3 + 2e-2 * abs(numeric),
                    "\(configuration.kind) \(p.name)[\(i)]", file: file, line: line)
            }
        }
    }
}
