import Foundation
import Shared
import XCTest

/// hmil-train's SGD steps from `--init` weights written by PyTorch equal PyTorch's steps on the same
/// batch with the full objective (Tests/Parity/train_step_reference.py wrote the fixtures):
/// one step at epoch 0, and two steps of a 2-epoch run, the second with the batch-level contrastive
/// term (so the two-pass gradient, kept or recomputed, on one or two workers, is checked as well).
final class TrainParityTests: XCTestCase {
    var h: TrainHarness!

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("SharedTests/Fixtures/training")

    override func setUpWithError() throws {
        h = try TrainHarness("parity")
        let description =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: Self.fixtures.appendingPathComponent("bags.json"))) as! [String: Any]
        let hierarchy = Hierarchy(
            coarse: description["coarse"] as! [String], fine: description["fine"] as! [String],
            parent: description["parent"] as! [String: String])
        let slides = description["slides"] as! [[String: String]]
        let file = try SafetensorsFile.read(path: Self.fixtures.appendingPathComponent("bags.safetensors").path)
        var bags: [Bag] = []
        var labels: [Int] = []
        for slide in slides {
            let id = slide["slide_id"]!
            let shape = try XCTUnwrap(file.info(id)).shape
            bags.append(Bag(slideID: id, instanceCount: shape[0], featureDim: shape[1], features: try file.floats(id)))
            labels.append(hierarchy.fineIndex(of: slide["label"]!)!)
        }
        // One fold, every bag in training (plan order = file order), no validation: the last epoch is kept.
        try h.writeDataset(
            bags: bags, labels: labels, folds: [FoldRecord(fold: 0, train: bags.map(\.slideID), val: [], test: [])],
            hierarchy: hierarchy)
    }

    override func tearDownWithError() throws { h.remove() }

    func assertStepsMatch(preset: String, epochs: Int, extra: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let out = "run-\(preset)-\(epochs)-\(extra.joined(separator: "_"))"
        let initName = preset == "abmil" ? "init_abmil.safetensors" : "init.safetensors"
        // The fixtures train the released architecture with the paper's objective (train_step_reference.py):
        // `hmil` names it with the preset's architecture and smoothing set back to the release's.
        let released = ["--scorer", "shared", "--embedding", "released", "--sibling-smoothing", "0"]
        let model = preset == "abmil" ? ["--model", "abmil"] : ["--preset", preset] + (preset == "hmil" ? released : [])
        let run = try h.train(
            h.path("dataset.json"), out: out,
            [
                "--init", Self.fixtures.appendingPathComponent(initName).path,
                "--optimizer", "sgd", "--momentum", "0", "--lr", "0.5", "--batch-size", "12",
                "--no-shuffle", "--epochs", "\(epochs)"
            ] + model + extra)
        XCTAssertEqual(run.status, 0, run.stderr, file: file, line: line)
        let trained = try SafetensorsFile.read(path: h.path("\(out)/fold_0/best.safetensors"))
        let initial = try SafetensorsFile.read(path: Self.fixtures.appendingPathComponent(initName).path)
        let expected = try SafetensorsFile.read(path: Self.fixtures.appendingPathComponent("step_\(preset)_E\(epochs).safetensors").path)
        XCTAssertEqual(Set(trained.tensors.map(\.name)), Set(expected.tensors.map(\.name)), file: file, line: line)
        // Compare the updates (w − w0) relative to the tensor's largest update. Some gradients are zero
        // in exact arithmetic (attention_c biases: softmax over instances ignores a shift; the shared
        // scorer's bias: cross-entropy ignores a shift of every logit), so the scale has a floor of
        // 1e-3 × the largest update of any tensor, and float32 noise there counts as zero.
        var updates: [(name: String, w0: [Float], want: [Float])] = []
        for tensor in expected.tensors {
            updates.append((tensor.name, try initial.floats(tensor.name), try expected.floats(tensor.name)))
        }
        func largestUpdate(_ u: (name: String, w0: [Float], want: [Float])) -> Double {
            zip(u.want, u.w0).map { Double(abs($0 - $1)) }.max()!
        }
        let floor = 1e-3 * updates.map(largestUpdate).max()!
        XCTAssertGreaterThan(floor, 1e-6, "the steps move the weights", file: file, line: line)
        // A tensor PyTorch leaves exactly where it was has a zero gradient in exact arithmetic; hmil's
        // update there is the float32 rounding of a sum that cancels (the shared scorer's bias: Σ_j of
        // the fine-logit gradients over 12 bags, each rounded to float), ~1e-6 of the largest update
        // whatever the order of the products before it. It is held to that noise level apart from the
        // tensors that move, which stay held to 2e-3 of their own largest update.
        var worst = 0.0
        var worstName = ""
        var worstStill = 0.0
        var worstStillName = ""
        for u in updates {
            let got = try trained.floats(u.name)
            let still = u.want == u.w0
            let scale = max(largestUpdate(u), floor)
            for i in u.want.indices {
                // Two ulps of the weight are float32 rounding of w0 + update, whatever the update.
                let error = max(0, Double(abs(got[i] - u.want[i])) - 2 * Double(u.want[i].ulp)) / scale
                let name = "\(u.name)[\(i)] (hmil \(got[i]), PyTorch \(u.want[i]), from \(u.w0[i]))"
                if still, error > worstStill {
                    worstStill = error
                    worstStillName = name
                }
                if !still, error > worst {
                    worst = error
                    worstName = name
                }
            }
        }
        XCTAssertLessThan(
            worst, 2e-3, "largest update error relative to the tensor's largest update: \(worstName)",
            file: file, line: line)
        XCTAssertLessThan(
            worstStill, 1e-2,
            "largest update of a tensor PyTorch leaves unchanged, relative to 1e-3 of the largest update: \(worstStillName)",
            file: file, line: line)
    }

    func testOneSGDStepFromPyTorchWeightsMatchesPyTorch() throws {
        try assertStepsMatch(preset: "hmil", epochs: 1, extra: ["--threads", "1"])
    }

    func testTwoStepsWithTheContrastiveTermMatchPyTorch() throws {
        try assertStepsMatch(preset: "hmil", epochs: 2, extra: ["--threads", "1", "--memory-budget", "1024"])
    }

    func testTwoStepsRecomputedOnTwoWorkersMatchPyTorch() throws {
        try assertStepsMatch(preset: "hmil", epochs: 2, extra: ["--threads", "2", "--memory-budget", "0"])
    }

    func testABMILTwoStepsMatchPyTorch() throws {
        try assertStepsMatch(preset: "abmil", epochs: 2, extra: ["--threads", "2"])
    }

    func testReferencePresetTwoStepsMatchPyTorch() throws {
        try assertStepsMatch(preset: "reference", epochs: 2, extra: ["--threads", "2"])
    }
}
