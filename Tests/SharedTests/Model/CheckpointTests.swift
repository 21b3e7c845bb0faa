import Foundation
import Shared
import XCTest

/// Checkpoints: round trip with metadata, and one error per kind of mismatch, each naming the tensor.
final class CheckpointTests: XCTestCase {
    let hierarchy = Hierarchy(
        coarse: ["benign", "malignant"], fine: ["N", "PB", "IC"],
        parent: ["N": "benign", "PB": "benign", "IC": "malignant"])

    private func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "hmil-ckpt-\(UInt32.random(in: 0 ... .max))-\(name).safetensors"
    }

    func testRoundTripRebuildsTheModelAndMetadata() throws {
        for configuration in [
            ModelConfiguration.hmil(HMILOptions(featureDim: 12, coarseClasses: 2, fineClasses: 3, scorer: .perClass)),
            .abmil(ABMILOptions(featureDim: 12, classes: 3, dropout: true))
        ] {
            var g = SeededGenerator(seed: 5)
            let model = configuration.makeModel(generator: &g)
            let path = temporaryPath(configuration.kind.rawValue)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let metadata = CheckpointMetadata(hierarchy: hierarchy, trainingConfig: #"{"lr":0.0001,"preset":"hmil"}"#, epoch: 37)
            try Checkpoint.save(model, metadata: metadata, to: path)
            let (loaded, readBack) = try Checkpoint.load(path: path)
            XCTAssertEqual(readBack, metadata)
            XCTAssertEqual(loaded.configuration, configuration)
            for (p, q) in zip(model.parameters.parameters, loaded.parameters.parameters) {
                XCTAssertEqual(p.name, q.name)
                XCTAssertEqual(p.value, q.value, p.name)
            }
            let x = randomFloats(5 * 12, &g)
            XCTAssertEqual(
                model.infer(features: x, instanceCount: 5, workspace: Workspace()).fineLogits,
                loaded.infer(features: x, instanceCount: 5, workspace: Workspace()).fineLogits)
        }
    }

    /// A default model's options are written as before the variants existed; a variant's options
    /// (gate, prior, λ, π) and the learned γ survive the round trip.
    func testModelVariantsInTheOptionsAndTensors() throws {
        func optionsText(_ model: MILModel) throws -> String {
            let path = temporaryPath("options")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try Checkpoint.save(model, metadata: CheckpointMetadata(), to: path)
            return try XCTUnwrap(SafetensorsFile.read(path: path).metadata["options"])
        }
        let plain = HMILOptions(featureDim: 12, coarseClasses: 2, fineClasses: 3)
        XCTAssertEqual(
            try optionsText(HMILModel(options: plain)),
            #"{"coarse_classes":2,"dropout":false,"embedding":"released","feature_dim":12,"fine_classes":3,"scorer":"shared"}"#)
        let variant = HMILOptions(
            featureDim: 12, coarseClasses: 2, fineClasses: 3, coarseGate: .learned, finePrior: .coarseDetached,
            finePriorWeight: 0.5, fineParents: [0, 0, 1])
        var g = SeededGenerator(seed: 5)
        let model = HMILModel(options: variant, generator: &g)
        XCTAssertEqual(
            try optionsText(model),
            #"{"coarse_classes":2,"coarse_gate":"learned","dropout":false,"embedding":"released","feature_dim":12,"fine_classes":3,"fine_parents":[0,0,1],"fine_prior":"coarse-detached","fine_prior_weight":0.5,"scorer":"shared"}"#
        )
        model.parameters["coarse_gate.gamma"]!.value = [0.5, 0, 2]
        model.prepare()
        let path = temporaryPath("variant")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.save(model, metadata: CheckpointMetadata(hierarchy: hierarchy), to: path)
        let loaded = try Checkpoint.load(path: path).model
        XCTAssertEqual(loaded.configuration, .hmil(variant))
        XCTAssertEqual(loaded.parameters["coarse_gate.gamma"]?.value, [0.5, 0, 2])
        let x = randomFloats(6 * 12, &g)
        let a = model.infer(features: x, instanceCount: 6, workspace: Workspace())
        let b = loaded.infer(features: x, instanceCount: 6, workspace: Workspace())
        XCTAssertEqual(a.fineLogits, b.fineLogits)
        XCTAssertEqual(a.fineAttention, b.fineAttention)
    }

    func testVariantWithoutAValidHierarchyMapIsRefused() throws {
        let model = HMILModel(options: HMILOptions(featureDim: 4, coarseClasses: 2, fineClasses: 3))
        for (parents, expected) in [("[0,1]", "2 entries for 3 fine classes"), ("[0,1,2]", "coarse class 2 of 2")] {
            let path = temporaryPath("parents")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let options =
                #"{"coarse_classes":2,"coarse_gate":"fixed","dropout":false,"embedding":"released","feature_dim":4,"fine_classes":3,"fine_parents":\#(parents),"scorer":"shared"}"#
            try SafetensorsWriter.write(tensors(of: model), metadata: ["model": "hmil", "options": options], to: path)
            XCTAssertThrowsError(try Checkpoint.load(path: path)) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
                XCTAssertTrue("\(error)".contains(path), "\(error)")
            }
        }
    }

    /// A model option from a newer hmil (here an invented one) would change the model in a way this one
    /// cannot rebuild: the checkpoint is refused by name, for either model kind.
    func testUnknownModelOptionIsRefused() throws {
        let hmil = HMILModel(options: HMILOptions(featureDim: 4, coarseClasses: 2, fineClasses: 3))
        let abmil = ABMILModel(options: ABMILOptions(featureDim: 4, classes: 3))
        for (kind, model, options) in [
            (
                "hmil", hmil as MILModel,
                #"{"coarse_classes":2,"dropout":false,"embedding":"released","feature_dim":4,"fine_classes":3,"scorer":"shared","fine_warp":"on"}"#
            ),
            ("abmil", abmil as MILModel, #"{"classes":3,"dropout":false,"feature_dim":4,"fine_warp":"on"}"#)
        ] {
            let path = temporaryPath("newer")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try SafetensorsWriter.write(tensors(of: model), metadata: ["model": kind, "options": options], to: path)
            XCTAssertThrowsError(try Checkpoint.load(path: path)) { error in
                XCTAssertTrue("\(error)".contains("an option this hmil does not know: 'fine_warp'"), "\(error)")
                XCTAssertTrue("\(error)".contains(path), "\(error)")
            }
        }
    }

    func testLearnedGateNeedsItsTensor() throws {
        let plain = HMILModel(options: HMILOptions(featureDim: 4, coarseClasses: 2, fineClasses: 3))
        let learned = HMILModel(
            options: HMILOptions(
                featureDim: 4, coarseClasses: 2, fineClasses: 3, coarseGate: .learned,
                fineParents: [0, 0, 1]))
        try expectMismatch(tensors(of: plain), into: learned, "missing tensor 'coarse_gate.gamma' [3]")
        try expectMismatch(tensors(of: learned), into: plain, "unexpected tensor 'coarse_gate.gamma'")
    }

    /// A checkpoint of `source` loaded into `target` must fail with a message containing `expected`.
    private func expectMismatch(
        _ tensors: [SafetensorsWriter.Tensor], into target: MILModel, _ expected: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let path = temporaryPath("mismatch")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SafetensorsWriter.write(tensors, to: path)
        XCTAssertThrowsError(try Checkpoint.load(path: path, into: target), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(expected), "\(error)", file: file, line: line)
            XCTAssertTrue("\(error)".contains(path), "\(error)", file: file, line: line)
        }
    }

    private func tensors(of model: MILModel) -> [SafetensorsWriter.Tensor] {
        model.parameters.parameters.map { SafetensorsWriter.Tensor(name: $0.name, shape: $0.shape, values: $0.value) }
    }

    func testMissingTensor() throws {
        let model = HMILModel(options: HMILOptions(featureDim: 4, coarseClasses: 2, fineClasses: 3))
        try expectMismatch(
            tensors(of: model).filter { $0.name != "fine_classifier.bias" }, into: model,
            "missing tensor 'fine_classifier.bias'")
    }

    func testUnexpectedTensor() throws {
        let model = HMILModel(options: HMILOptions(featureDim: 4, coarseClasses: 2, fineClasses: 3))
        try expectMismatch(
            tensors(of: model) + [.init(name: "extra.weight", shape: [1], values: [0])], into: model,
            "unexpected tensor 'extra.weight'")
    }

    func testWrongShape() throws {
        let small = HMILModel(options: HMILOptions(featureDim: 4, coarseClasses: 2, fineClasses: 3))
        let large = HMILModel(options: HMILOptions(featureDim: 5, coarseClasses: 2, fineClasses: 3))
        try expectMismatch(tensors(of: small), into: large, "tensor 'feature_extractor.0.weight' has shape [256, 4], expected [256, 5]")
    }

    func testOtherOptionsAreReportedByName() throws {
        let shared = HMILModel(options: HMILOptions(featureDim: 4, coarseClasses: 2, fineClasses: 3))
        let perClass = HMILModel(options: HMILOptions(featureDim: 4, coarseClasses: 2, fineClasses: 3, scorer: .perClass))
        try expectMismatch(tensors(of: shared), into: perClass, "missing tensor 'coarse_classifiers.0.weight'")
    }

    func testWrongDType() throws {
        let model = ABMILModel(options: ABMILOptions(featureDim: 2, classes: 2))
        var tensors = tensors(of: model)
        tensors.removeAll { $0.name == "classifier.bias" }
        // Append classifier.bias as F64 by hand-editing a file: write a valid F32 file, then check the
        // dtype guard with a file whose header says F64 for that tensor.
        let path = temporaryPath("dtype")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var header: [String: Any] = [:]
        var data = Data()
        var offset = 0
        for t in tensors {
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.values.count]]
            for v in t.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            offset += 4 * t.values.count
        }
        header["classifier.bias"] = ["dtype": "F64", "shape": [2], "data_offsets": [offset, offset + 16]]
        data.append(Data(count: 16))
        let json = try JSONSerialization.data(withJSONObject: header)
        var bytes = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(json)
        bytes.append(data)
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.load(path: path, into: model)) { error in
            XCTAssertTrue("\(error)".contains("tensor 'classifier.bias' is F64, expected F32"), "\(error)")
        }
    }

    func testFileWithoutModelDescription() throws {
        let model = ABMILModel(options: ABMILOptions(featureDim: 2, classes: 2))
        let path = temporaryPath("bare")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SafetensorsWriter.write(tensors(of: model), to: path)
        XCTAssertThrowsError(try Checkpoint.load(path: path)) { XCTAssertTrue("\($0)".contains("no model description"), "\($0)") }
        XCTAssertNoThrow(try Checkpoint.load(path: path, into: model))
    }

    /// Writes a checkpoint and the logits hmil computes with it for Tests/Parity/check_checkpoint.py,
    /// which loads the checkpoint into the PyTorch reference module and compares logits:
    ///     HMIL_PARITY_DIR=/tmp/hmil-parity swift test --filter CheckpointTests/testWriteCheckpointForPython
    ///     python3 Tests/Parity/check_checkpoint.py /tmp/hmil-parity
    /// Without HMIL_PARITY_DIR it writes to a temporary folder and only checks the files read back.
    func testWriteCheckpointForPython() throws {
        let directory =
            ProcessInfo.processInfo.environment["HMIL_PARITY_DIR"]
            ?? NSTemporaryDirectory() + "hmil-parity-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configurations: [(String, ModelConfiguration)] = [
            ("hmil_released_shared", .hmil(HMILOptions(featureDim: 64, coarseClasses: 3, fineClasses: 7))),
            (
                "hmil_shared_perclass",
                .hmil(HMILOptions(featureDim: 64, coarseClasses: 3, fineClasses: 7, scorer: .perClass, embedding: .shared))
            ),
            ("abmil", .abmil(ABMILOptions(featureDim: 64, classes: 5))),
            (
                "hmil_gate_learned_prior",
                .hmil(
                    HMILOptions(
                        featureDim: 64, coarseClasses: 3, fineClasses: 7, scorer: .perClass,
                        coarseGate: .learned, finePrior: .coarse, finePriorWeight: 0.5,
                        fineParents: [0, 1, 1, 1, 2, 2, 2]))
            )
        ]
        for (name, configuration) in configurations {
            var g = SeededGenerator(seed: 21)
            let model = configuration.makeModel(generator: &g)
            for p in model.parameters.parameters where p.shape.count == 1 { p.value = randomFloats(p.count, &g, scale: 0.1) }
            model.prepare()
            try Checkpoint.save(
                model, metadata: CheckpointMetadata(hierarchy: hierarchy, epoch: 1),
                to: "\(directory)/\(name).safetensors")
            let n = 23
            let x = randomFloats(n * 64, &g)
            let out = model.infer(features: x, instanceCount: n, workspace: Workspace())
            var expected = [
                SafetensorsWriter.Tensor(name: "features", shape: [n, 64], values: x),
                .init(name: "fine_logits", shape: [out.fineLogits.count], values: out.fineLogits)
            ]
            if !out.coarseLogits.isEmpty {
                expected.append(.init(name: "coarse_logits", shape: [out.coarseLogits.count], values: out.coarseLogits))
            }
            try SafetensorsWriter.write(expected, to: "\(directory)/\(name).expected.safetensors")
            XCTAssertEqual(try Checkpoint.load(path: "\(directory)/\(name).safetensors").model.configuration, configuration)
        }
        if ProcessInfo.processInfo.environment["HMIL_PARITY_DIR"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
