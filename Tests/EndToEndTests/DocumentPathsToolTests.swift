import Foundation
import Shared
import TestSupport
import XCTest

/// Paths in documents resolve against the document, not the working directory (DESIGN §1): the pipeline
/// packs from one folder, trains from a second and from `/`, and evaluates from a third and from a pipe.
final class DocumentPathsToolTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("hmil-paths-\(UUID().uuidString)")
        for folder in ["A/feats", "B"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func folder(_ name: String) -> URL { root.appendingPathComponent(name) }

    func document(_ path: String) throws -> PipelineDocument {
        try DocumentIO.decode(PipelineDocument.self, from: Data(contentsOf: root.appendingPathComponent(path)), source: path)
    }

    func assertRan(_ run: ToolRun, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(run.status, 0, run.stderr, file: file, line: line)
    }

    /// Bags of four fine classes (planted instances), one fold with train, val and test parts, as
    /// .npy features in A/feats and the split plan in A/plan.json.
    func writePlan() throws {
        var generator = SeededGenerator(seed: 5)
        let h = TrainHarness.hierarchy
        let directions = TrainHarness.directions(classes: h.fine.count, featureDim: 8, generator: &generator)
        var slides: [SlideRecord] = []
        var parts: [[String]] = [[], [], []]
        for i in 0..<24 {
            let label = i % h.fine.count
            let id = "s\(i)"
            let bag = TrainHarness.plantedBag(
                id, label: label, instances: 12, planted: 3, featureDim: 8, directions: directions,
                generator: &generator)
            try Data(NumpyFile.encode(bag)).write(to: folder("A/feats/\(id).npy"))
            slides.append(SlideRecord(slideID: id, caseID: id, label: h.fine[label]))
            parts[i < 16 ? 0 : (i < 20 ? 1 : 2)].append(id)
        }
        let plan = PipelineDocument(
            format: PipelineDocument.splitFormat, hierarchy: h, scheme: "kfold", seed: 1, slides: slides,
            folds: [FoldRecord(fold: 0, train: parts[0], val: parts[1], test: parts[2])])
        try DocumentIO.encode(plan).write(to: folder("A/plan.json"))
    }

    let training = ["--epochs", "1", "--batch-size", "4", "--threads", "1", "--quiet"]

    func testDocumentsWorkFromEveryFolder() throws {
        try writePlan()

        // Packed from A into run1/work: the saved copy names the pack from its own folder, stdout from A.
        let packed = try BuiltTool.run("hmil-pack", ["plan.json", "--features", "feats", "--out", "run1/work", "--quiet"], in: folder("A"))
        assertRan(packed)
        let piped = try DocumentIO.decode(PipelineDocument.self, from: packed.stdout, source: "stdout")
        XCTAssertEqual(piped.packs?.map(\.path), ["run1/work/bags.hbag"])
        XCTAssertEqual(try document("A/run1/work/dataset.json").packs?.map(\.path), ["bags.hbag"])

        // Trained from A/run1 (the document by its path from there), and from / (the same command).
        let fromRun = try BuiltTool.run("hmil-train", ["work/dataset.json", "--out", "runs/m"] + training, in: folder("A/run1"))
        assertRan(fromRun)
        let saved = try document("A/run1/runs/m/models.json")
        XCTAssertEqual(saved.models?.map(\.checkpoint), ["fold_0/best.safetensors"])
        XCTAssertEqual(saved.packs?.map(\.path), ["../../work/bags.hbag"])
        let stdout = try DocumentIO.decode(PipelineDocument.self, from: fromRun.stdout, source: "stdout")
        XCTAssertEqual(stdout.models?.map(\.checkpoint), ["runs/m/fold_0/best.safetensors"])
        XCTAssertEqual(stdout.packs?.map(\.path), ["work/bags.hbag"])

        let fromSlash = String(folder("A/run1").path.dropFirst())  // the same folder, relative to /
        let fromTop = try BuiltTool.run(
            "hmil-train", ["\(fromSlash)/work/dataset.json", "--out", "\(fromSlash)/runs/top"] + training,
            in: URL(fileURLWithPath: "/"))
        assertRan(fromTop)
        let top = try document("A/run1/runs/top/models.json")
        XCTAssertEqual(top.models?.map(\.checkpoint), ["fold_0/best.safetensors"], "the same paths from another folder")
        XCTAssertEqual(top.packs, saved.packs)

        // Evaluated from B (the models document by a path with ..), and from A/run1 on the pipe.
        let fromB = try BuiltTool.run(
            "hmil-eval", ["../A/run1/runs/m/models.json", "--out", "results", "--bootstrap", "0", "--quiet"],
            in: folder("B"))
        assertRan(fromB)
        let evaluated = try document("B/results/eval.json")
        XCTAssertEqual(evaluated.models?.map(\.checkpoint), ["../../A/run1/runs/m/fold_0/best.safetensors"])
        XCTAssertEqual(evaluated.packs?.map(\.path), ["../../A/run1/work/bags.hbag"])
        let onPipe = try BuiltTool.run("hmil-eval", ["--bootstrap", "0", "--quiet"], stdin: .data(fromRun.stdout), in: folder("A/run1"))
        assertRan(onPipe)
        let fromPipe = try DocumentIO.decode(PipelineDocument.self, from: onPipe.stdout, source: "stdout")
        XCTAssertEqual(fromPipe.evaluation?.folds.count, 1)
        XCTAssertEqual(fromPipe.evaluation, evaluated.evaluation, "the same models, the same metrics")
    }

    /// Absolute paths stay absolute in every copy; a path from the working directory is rewritten only
    /// for the copy saved elsewhere.
    func testRelativeAndAbsolutePaths() {
        XCTAssertEqual(DocumentPath.resolve("bags.hbag", inFolder: "run1/work"), "run1/work/bags.hbag")
        XCTAssertEqual(DocumentPath.resolve("../w/bags.hbag", inFolder: "runs/m"), "runs/w/bags.hbag")
        XCTAssertEqual(DocumentPath.resolve("../../x", inFolder: "a"), "../x")
        XCTAssertEqual(DocumentPath.resolve("/data/bags.hbag", inFolder: "runs/m"), "/data/bags.hbag")
        XCTAssertEqual(DocumentPath.resolve("./w//bags.hbag", inFolder: ""), "w/bags.hbag")
        XCTAssertEqual(DocumentPath.relative("run1/work//bags.hbag", toFolder: "run1/work/"), "bags.hbag")
        XCTAssertEqual(DocumentPath.relative("work/bags.hbag", toFolder: "runs/m"), "../../work/bags.hbag")
        XCTAssertEqual(DocumentPath.relative("/data/bags.hbag", toFolder: "runs/m"), "/data/bags.hbag")
        let here = FileManager.default.currentDirectoryPath
        XCTAssertEqual(DocumentPath.relative("w/x.hbag", toFolder: here + "/w"), "x.hbag")
        XCTAssertEqual(DocumentPath.relative("w", toFolder: "w"), ".")
    }
}
