import Foundation
import Shared
import TestSupport
import XCTest

/// Runs the built hmil-split and checks stdout, stderr and the exit code.
final class SplitToolTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let fixtures = repository.appendingPathComponent("Tests/SharedTests/Fixtures/Splitting").path

    func run(_ arguments: [String]) throws -> ToolRun {
        try BuiltTool.run("hmil-split", arguments)
    }

    func temporaryFolder() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hmil-split-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    func hierarchyFile(_ fine: [String], in folder: String) throws -> String {
        let parent = fine.map { "\"\($0)\": \"all\"" }.joined(separator: ", ")
        let path = folder + "/h.json"
        try "{\"coarse\": [\"all\"], \"fine\": [\(fine.map { "\"\($0)\"" }.joined(separator: ", "))], \"parent\": {\(parent)}}"
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testHelpDocumentsEveryOptionWithItsDefault() throws {
        let result = try run(["--help"])
        XCTAssertEqual(result.status, 0)
        let help = String(decoding: result.stdout, as: UTF8.self)
        for option in [
            "--hierarchy", "--scheme", "--folds", "--seed", "--val-frac", "--test-frac", "--label-frac", "--label-col",
            "--patient-voting", "--allow-small-classes", "--out", "--clam-dir", "--from-clam", "--from-hmil"
        ] {
            XCTAssertTrue(help.contains(option), option)
        }
        XCTAssertGreaterThanOrEqual(help.components(separatedBy: "(default:").count - 1, 13, help)
    }

    func testCLAMSchemeWritesThePlanAndCLAMsFilesByteForByte() throws {
        let work = try temporaryFolder()
        let hierarchy = try hierarchyFile(["normal_tissue", "tumor_tissue"], in: work)
        let result = try run([
            Self.fixtures + "/clam/dataset_csv/tumor_vs_normal_dummy_clean.csv", "--hierarchy", hierarchy,
            "--scheme", "clam", "--patient-voting", "max", "--label-frac", "0.75",
            "--out", work + "/out", "--clam-dir", work + "/clam"
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: work + "/out/split.json")), result.stdout)
        let document = try DocumentIO.decode(PipelineDocument.self, from: result.stdout, source: "stdout")
        XCTAssertEqual(document.format, "hmil.split/1")
        XCTAssertEqual(document.scheme, "clam")
        XCTAssertEqual(document.seed, 1)
        XCTAssertEqual(document.folds.count, 10)
        for k in 0..<10 {
            for suffix in ["", "_bool", "_descriptor"] {
                let name = "splits_\(k)\(suffix).csv"
                XCTAssertEqual(
                    try Data(contentsOf: URL(fileURLWithPath: work + "/clam/" + name)),
                    try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/clam/splits/task_1_tumor_vs_normal_75/" + name)),
                    name)
            }
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: work + "/clam").filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "no temporary files left behind")
    }

    func testHMILImportWithoutLabelsCSV() throws {
        let result = try run([
            "--hierarchy", Self.fixtures + "/hmil_config_example.py",
            "--from-hmil", Self.fixtures + "/hmil-official-splits/BRACS"
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        let document = try DocumentIO.decode(PipelineDocument.self, from: result.stdout, source: "stdout")
        XCTAssertEqual(document.slides.count, 545)
        XCTAssertEqual(document.folds.map { [$0.train.count, $0.val.count, $0.test.count] }, Array(repeating: [437, 54, 54], count: 10))
    }

    func testBadInputIsOneLineOnStderrAndNothingOnStdout() throws {
        let work = try temporaryFolder()
        let hierarchy = try hierarchyFile(["a", "b"], in: work)
        let labels = work + "/labels.csv"
        try "case_id,slide_id,label\r\np1,s1,a\r\np2,s2,\"c\"\r\n".write(toFile: labels, atomically: true, encoding: .utf8)
        let result = try run([labels, "--hierarchy", hierarchy, "--out", work + "/out"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, Data())
        XCTAssertEqual(
            result.stderr,
            "hmil-split: error: label 'c' of slide 's2' is not a fine label of the hierarchy (\(labels), line 3) — fine labels are a, b\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/out/split.json"))

        let missing = try run([work + "/nope.csv", "--hierarchy", hierarchy])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "hmil-split: error: cannot open labels CSV (\(work)/nope.csv) — check the path\n")
    }

    func testUsageErrorIsOneLine() throws {
        let result = try run(["labels.csv", "--hierarchy", "h.json", "--scheme", "bogus"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, Data())
        XCTAssertEqual(
            result.stderr,
            "hmil-split: error: The value 'bogus' is invalid for '--scheme <scheme>'. Please provide one of 'kfold' and 'clam'. — see hmil-split --help\n"
        )
    }

    func testSmallClassWarningGoesToStderr() throws {
        let work = try temporaryFolder()
        let hierarchy = try hierarchyFile(["a", "b"], in: work)
        let labels = work + "/labels.csv"
        try ("case_id,slide_id,label\n" + (0..<12).map { "p\($0),s\($0),\($0 < 2 ? "b" : "a")" }.joined(separator: "\n"))
            .write(toFile: labels, atomically: true, encoding: .utf8)
        let refused = try run([labels, "--hierarchy", hierarchy, "--folds", "3"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.hasPrefix("hmil-split: error: class 'b' has 2 patients, fewer than the 3 folds"), refused.stderr)
        let allowed = try run([labels, "--hierarchy", hierarchy, "--folds", "3", "--allow-small-classes"])
        XCTAssertEqual(allowed.status, 0)
        XCTAssertEqual(
            allowed.stderr, "hmil-split: warning: class 'b' has 2 patients, fewer than the 3 folds; some test parts will have none\n")
        let document = try DocumentIO.decode(PipelineDocument.self, from: allowed.stdout, source: "stdout")
        XCTAssertEqual(document.folds.map(\.test.count), [4, 4, 4])
    }
}
