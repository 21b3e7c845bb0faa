import Foundation
import Shared
import XCTest

/// Holds HMIL and ABMIL to the PyTorch reference module (Tests/Parity/hmil_reference.py): outputs
/// and every parameter's gradient under a fixed upstream gradient, for bags of 1, 13 and 50
/// instances. Golden files: Tests/Parity/make_model_fixtures.py (float64 autograd, stored f32),
/// written by Python's safetensors, so these tests also read a file the real library wrote.
final class ModelParityTests: XCTestCase {
    func testHMILReleasedEmbeddingSharedScorer() throws { try check("hmil_released_shared") }
    func testHMILSharedEmbeddingPerClassScorer() throws { try check("hmil_shared_perclass") }
    func testABMIL() throws { try check("abmil") }
    /// The coarse gate and the fine prior; PyTorch's `.detach()` is the reference for the detached forms.
    func testHMILCoarseGateFixedFinePrior() throws { try check("hmil_gate_fixed_prior_coarse") }
    func testHMILCoarseGateLearnedFinePriorDetached() throws { try check("hmil_gate_learned_prior_detached") }
    func testHMILCoarseGateDetachedSharedEmbedding() throws { try check("hmil_gate_detached_shared") }

    private func check(_ name: String) throws {
        let path = FixturePaths.path("model/\(name).safetensors")
        let file = try SafetensorsFile.read(path: path)
        let configuration = try Checkpoint.configuration(of: file, path: path)
        let model: MILModel
        switch configuration {
        case .hmil(let o): model = HMILModel(options: o)
        case .abmil(let o): model = ABMILModel(options: o)
        }
        for p in model.parameters.parameters {
            let info = try XCTUnwrap(file.info(p.name), "fixture lacks \(p.name)")
            XCTAssertEqual(info.shape, p.shape, p.name)
            p.value = try file.floats(p.name)
        }
        model.prepare()
        let workspace = Workspace()
        let gradients = model.makeGradientBuffer()
        let bags = Int(file.metadata["bags"]!)!
        for i in 0..<bags {
            let features = try file.floats("bag\(i).features")
            let n = file.info("bag\(i).features")!.shape[0]
            func tensor(_ kind: String, _ field: String) throws -> [Float] {
                file.info("bag\(i).\(kind).\(field)") == nil ? [] : try file.floats("bag\(i).\(kind).\(field)")
            }
            let inferred = model.infer(features: features, instanceCount: n, workspace: workspace)
            let out = model.forward(features: features, instanceCount: n, workspace: workspace)
            for (label, o) in [("forward", out), ("infer", inferred)] {
                let what = "\(name) bag \(i) \(label)"
                assertClose(o.coarseLogits, try tensor("output", "coarse_logits"), rtol: 1e-4, atol: 1e-5, "\(what) coarse logits")
                assertClose(o.fineLogits, try tensor("output", "fine_logits"), rtol: 1e-4, atol: 1e-5, "\(what) fine logits")
                assertClose(o.coarseAttention, try tensor("output", "coarse_attention"), rtol: 1e-4, atol: 1e-6, "\(what) A_c")
                assertClose(o.fineAttention, try tensor("output", "fine_attention"), rtol: 1e-4, atol: 1e-6, "\(what) A_f")
                assertClose(o.embedding, try tensor("output", "embedding"), rtol: 1e-4, atol: 1e-6, "\(what) z")
            }
            let upstream = BagOutputGradient(
                coarseLogits: try tensor("upstream", "coarse_logits"), fineLogits: try tensor("upstream", "fine_logits"),
                coarseAttention: try tensor("upstream", "coarse_attention"),
                fineAttention: try tensor("upstream", "fine_attention"), embedding: try tensor("upstream", "embedding"))
            model.backward(upstream, workspace: workspace, into: gradients)
        }
        model.parameters.zeroGradients()
        model.addGradients([gradients])
        for p in model.parameters.parameters {
            assertGradientClose(p.gradient, try file.floats("grad.\(p.name)"), "\(name) ∂L/∂\(p.name)")
        }
    }
}
