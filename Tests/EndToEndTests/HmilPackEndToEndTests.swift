import Foundation
import Shared
import TestSupport
import XCTest

/// Runs the built `hmil-pack` on small inputs made here.
final class HmilPackEndToEndTests: XCTestCase {
    func run(_ arguments: [String], stdin: Data? = nil) throws -> ToolRun {
        try BuiltTool.run("hmil-pack", arguments, stdin: stdin.map { .data($0) } ?? .none)
    }

    var folder = ""

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("hmil-pack-e2e-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/feats/pt_files", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/more", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func bag(_ id: String, n: Int) -> Bag {
        Bag(slideID: id, instanceCount: n, featureDim: 3, features: (0..<n * 3).map { Float($0) * 0.5 - Float(n) })
    }

    func plan(_ ids: [String]) throws -> Data {
        let hierarchy = Hierarchy(coarse: ["a"], fine: ["x"], parent: ["x": "a"])
        let document = PipelineDocument(
            format: PipelineDocument.splitFormat, hierarchy: hierarchy, scheme: "kfold", seed: 1,
            slides: ids.map { SlideRecord(slideID: $0, caseID: $0, label: "x") },
            folds: [FoldRecord(fold: 0, train: ids, val: [], test: [])])
        return try DocumentIO.encode(document)
    }

    func testPipelinePacksExtractsAndReportsErrors() throws {
        try Data(NumpyFile.encode(bag("s1", n: 4))).write(to: URL(fileURLWithPath: folder + "/feats/pt_files/s1.npy"))
        try Data(NumpyFile.encode(bag("s2", n: 2))).write(to: URL(fileURLWithPath: folder + "/more/s2.npy"))
        let work = folder + "/work"

        // Plan on stdin, dataset on stdout and in WORK.
        let packed = try run(
            [
                "--features", folder + "/feats", "--features", folder + "/more", "--out", work, "--jobs", "2",
                "--dtype", "f16", "--quiet"
            ], stdin: try plan(["s1", "s2"]))
        XCTAssertEqual(packed.status, 0, packed.stderr)
        XCTAssertEqual(packed.stderr, "")
        let dataset = try DocumentIO.decode(PipelineDocument.self, from: packed.stdout, source: "stdout")
        XCTAssertEqual(dataset.format, "hmil.dataset/1")
        XCTAssertEqual(dataset.packs?.first?.dtype, "f16")
        XCTAssertEqual(dataset.slides.map(\.instances), [4, 2])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: work + "/dataset.json")), packed.stdout)

        // extract writes an .npy equal to the source (values are f16-exact).
        let extracted = try run(["extract", work + "/bags.hbag", "s1"])
        XCTAssertEqual(extracted.status, 0, extracted.stderr)
        XCTAssertEqual([UInt8](extracted.stdout), NumpyFile.encode(bag("s1", n: 4)))

        // A missing slide: one-line error naming it, non-zero exit; with --skip-missing, dropped.
        let planPath = folder + "/plan.json"
        try plan(["s1", "s2", "s3"]).write(to: URL(fileURLWithPath: planPath))
        let missing = try run([planPath, "--features", folder + "/feats", "--features", folder + "/more", "--out", work])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.hasPrefix("hmil-pack: error: no feature file for slide s3"), missing.stderr)
        XCTAssertEqual(missing.stderr.filter { $0 == "\n" }.count, 1)
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: work + "/dataset.json")), packed.stdout, "a failed run keeps earlier outputs")
        let skipped = try run([
            planPath, "--features", folder + "/feats", "--features", folder + "/more", "--out", work, "--skip-missing", "--quiet"
        ])
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertEqual(try DocumentIO.decode(PipelineDocument.self, from: skipped.stdout, source: "stdout").dropped?.map(\.slideID), ["s3"])

        // A damaged feature file names slide and file.
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: folder + "/more/s2.npy"))
        let damaged = try run([planPath, "--features", folder + "/feats", "--features", folder + "/more", "--out", work, "--skip-missing"])
        XCTAssertEqual(damaged.status, 1)
        XCTAssertTrue(damaged.stderr.contains("slide s2, \(folder)/more/s2.npy"), damaged.stderr)

        // Unknown slide in extract.
        let unknown = try run(["extract", work + "/bags.hbag", "nope"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("nope"), unknown.stderr)
    }
}
