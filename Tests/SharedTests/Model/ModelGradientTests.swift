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
    func testABMILWithDropout() { check(.abmil(ABMILOptions(featureDim: 6, classes: 3, dropout: true))) }

    private func check(_ configuration: ModelConfiguration, file: StaticString = #filePath, line: UInt = #line) {
        var g = SeededGenerator(seed: 11)
        let model = configuration.makeModel(generator: &g)
        for p in model.parameters.parameters where p.shape.count == 1 { p.value = randomFloats(p.count, &g, scale: 0.1) }
        model.prepare()
        let n = 5, d = configuration.featureDim
        let x = randomFloats(n * d, &g)
        let workspace = Workspace()
        func run() -> BagOutput {
            workspace.dropoutGenerator = SeededGenerator(seed: 77)   // same masks on every evaluation
            return model.forward(features: x, instanceCount: n, workspace: workspace)
        }
        let out = run()
        let r = randomUpstream(like: out, &g)
        let buffer = model.makeGradientBuffer()
        model.backward(r, workspace: workspace, into: buffer)
        model.parameters.zeroGradients()
        model.addGradients([buffer])

        let h: Float = 4e-3
        for p in model.parameters.parameters {
            // All entries of small tensors, a seeded sample of large ones.
            let picks = p.count <= 12 ? Array(0..<p.count) : (0..<8).map { _ in Int(g.next() % UInt64(p.count)) }
            for i in picks {
                let v = p.value[i]
                p.value[i] = v + h; model.prepare()
                let up = upstreamLoss(run(), r)
                p.value[i] = v - h; model.prepare()
                let down = upstreamLoss(run(), r)
                p.value[i] = v; model.prepare()
                let numeric = (up - down) / Double(2 * h)
                let analytic = Double(p.gradient[i])
                XCTAssertEqual(analytic, numeric, accuracy: 3e-3 + 2e-2 * abs(numeric),
                               "\(configuration.kind) \(p.name)[\(i)]", file: file, line: line)
            }
        }
    }
}
